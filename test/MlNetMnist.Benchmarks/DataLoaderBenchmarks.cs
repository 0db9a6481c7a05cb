using BenchmarkDotNet.Attributes;
using MlNetMnist.DataViews;
using MlNetMnist.Trainers.Engines.Managed;

namespace MlNetMnist.Benchmarks;

/// <summary>
/// One MNIST-sized training epoch of batches (50,000 x 784 floats in memory, 81% of them zero as MNIST's pixels),
/// shuffled, as the trainer reads it: dense batches, or sparse ones (each row's nonzero values) as the managed engine takes.
/// </summary>
[MemoryDiagnoser]
public class DataLoaderBenchmarks
{
    Dataset _dataset = null!;
    IBatchSource _loader = null!;
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
        // Sparse: the managed engine's compact rows and sparse batches (the compact copy is made here, not per epoch).
        _loader = Sparse
            ? ManagedEngine.Instance.Batches(CompactDataset.From(_dataset, 10), BatchSize, shuffle: true, seed: 1, workers: Workers)
            : new DataLoader(_dataset, new DataLoaderOptions { BatchSize = BatchSize, Shuffle = true, Seed = 1, NumWorkers = Workers });
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
