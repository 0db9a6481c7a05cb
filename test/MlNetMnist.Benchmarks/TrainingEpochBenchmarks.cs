using BenchmarkDotNet.Attributes;
using Microsoft.ML;
using MlNetMnist.DataViews;
using MlNetMnist.Trainers;
using MlNetMnist.Trainers.Benchmarking;
using MlNetMnist.Trainers.Learning;

namespace MlNetMnist.Benchmarks;

/// <summary>One training epoch of 784-50-10 on real MNIST: the TorchSharp idiom (baseline) against our two engines.</summary>
// In-process: a separately generated benchmark project would not carry the libtorch native assets
// (nor their GLIBCXX fix, build/TorchSharpNativeFix.targets) that this project's output folder has.
[MemoryDiagnoser]
[InProcess]
public class TrainingEpochBenchmarks
{
    Dataset _train = null!;
    TrainingBenchmark.TorchSharpIdiom _idiom = null!;
    Learner _fused = null!, _autograd = null!;
    readonly List<IDisposable> _owned = [];

    [Params(50, 512)]
    public int BatchSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadMnist(MnistFiles.EnsureAsync().GetAwaiter().GetResult()).Train;
        _train = Dataset.FromDataView(ml.Transforms.ScalePixels().Fit(train).Transform(train));
        _idiom = new TrainingBenchmark.TorchSharpIdiom(_train, 50, 0.5, seed: 1);
        _fused = Learner(MlpEngine.Fused);
        _autograd = Learner(MlpEngine.Autograd);
    }

    Learner Learner(MlpEngine engine)
    {
        var trainable = TrainingBenchmark.Engine(engine, _train, 50, 0.5f, BatchSize, seed: 1, out var owner);
        _owned.Add(owner);
        return new Learner(trainable, new DataLoader(_train, new DataLoaderOptions { BatchSize = BatchSize }));
    }

    [Benchmark(Baseline = true)]
    public void TorchSharpIdiom() => _idiom.Epoch(BatchSize);

    [Benchmark]
    public void Fused() => _fused.Fit(1);

    [Benchmark]
    public void Autograd() => _autograd.Fit(1);

    [GlobalCleanup]
    public void Cleanup()
    {
        _idiom.Dispose();
        foreach (var owned in _owned) owned.Dispose();
    }
}
