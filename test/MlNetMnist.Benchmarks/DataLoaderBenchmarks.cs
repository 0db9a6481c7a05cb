using BenchmarkDotNet.Attributes;
using MlNetMnist.DataViews;

namespace MlNetMnist.Benchmarks;

/// <summary>
/// One MNIST-sized training epoch of batches (50,000 x 784 floats in memory, 81% of them zero as MNIST's pixels),
/// shuffled, as the trainer reads it: dense batches, or sparse ones (each row's nonzero values) as the managed engine takes.
/// </summary>
[MemoryDiagnoser]
public class DataLoaderBenchmarks
{
    Dataset _dataset = null!;
    DataLoader _loader = null!;
    int _epoch;

    [Params(50, 512)]
    public int BatchSize { get; set; }

    [Params(0, 2)]
    public int Workers { get; set; }

    [Params(false, true)]
    public bool Sparse { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        var features = new float[50_000 * 784];
        for (int i = 0; i < features.Length; i++) features[i] = random.NextDouble() < 0.81 ? 0 : (float)random.NextDouble();
        var labels = Enumerable.Range(0, 50_000).Select(i => i % 10).ToArray();
        _dataset = new Dataset(features, labels, 784, 10);
        _loader = new DataLoader(_dataset, new DataLoaderOptions { BatchSize = BatchSize, Shuffle = true, Seed = 1, NumWorkers = Workers, Sparse = Sparse });
        if (Sparse) _ = _dataset.Sparse; // the dataset's sparse copy is built once, on first use: not part of an epoch
    }

    /// <summary>Returns the batch count, so batches/s = result / time.</summary>
    [Benchmark]
    public int Epoch()
    {
        int batches = 0;
        foreach (var batch in _loader.Epoch(_epoch++)) batches += batch.Size > 0 ? 1 : 0;
        return batches;
    }
}
