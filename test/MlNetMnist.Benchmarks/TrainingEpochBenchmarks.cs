using BenchmarkDotNet.Attributes;
using Microsoft.ML;
using MlNetMnist.DataViews;
using MlNetMnist.Host.Bench;
using MlNetMnist.Trainers.Engines;
using MlNetMnist.Trainers.Engines.Autograd;
using MlNetMnist.Trainers.Engines.Managed;
using MlNetMnist.Trainers.Learning;

namespace MlNetMnist.Benchmarks;

/// <summary>
/// One training epoch of 784-50-10 on real MNIST, shuffled: the TorchSharp idiom (baseline) against our two engines,
/// and the compute floor: one square float32 matmul of an epoch's FLOPs (2 · 1600³ ≈ 8.2 GFLOP, the epoch's 8.0).
/// </summary>
// In-process: a separately generated benchmark project would not carry the libtorch native assets
// (nor their GLIBCXX fix, build/TorchSharpNativeFix.targets) that this project's output folder has.
[MemoryDiagnoser]
[InProcess]
public class TrainingEpochBenchmarks
{
    Dataset _train = null!;
    TrainingBenchmark.TorchSharpIdiom _idiom = null!;
    Learner _managed = null!, _autograd = null!;
    readonly List<IDisposable> _owned = [];
    TorchSharp.torch.Tensor _a = null!, _b = null!;

    [Params(50, 512)]
    public int BatchSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadMnist(MnistFiles.EnsureAsync().GetAwaiter().GetResult()).Train;
        _train = Dataset.FromDataView(ml.Transforms.ScalePixels().Fit(train).Transform(train));
        _idiom = new TrainingBenchmark.TorchSharpIdiom(_train, 50, 0.5f, BatchSize, seed: 1);
        _managed = Learner(ManagedEngine.Instance);
        _autograd = Learner(AutogradEngine.Instance);
        _a = TorchSharp.torch.rand(1600, 1600);
        _b = TorchSharp.torch.rand(1600, 1600);
    }

    Learner Learner(MlpEngine engine)
    {
        var (learner, model) = TrainingBenchmark.EngineLearner(engine, _train, null, 50, BatchSize, 0.5f, seed: 1);
        _owned.Add(model);
        return learner;
    }

    [Benchmark(Baseline = true)]
    public void TorchSharpIdiom() => _idiom.Epoch();

    [Benchmark]
    public void Managed() => _managed.Fit(1);

    [Benchmark]
    public void Autograd() => _autograd.Fit(1);

    [Benchmark]
    public void MatmulFloor()
    {
        using var product = _a.mm(_b);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _idiom.Dispose();
        _a.Dispose();
        _b.Dispose();
        foreach (var owned in _owned) owned.Dispose();
    }
}
