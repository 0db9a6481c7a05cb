using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using MlNetMnist.DataViews;
using MlNetMnist.Trainers.Engines;
using MlNetMnist.Trainers.Engines.Managed;
using MlNetMnist.Trainers.Models;

namespace MlNetMnist.Benchmarks;

/// <summary>
/// Each pass of the managed engine and the scorer fed subnormal floats beside normal ones, against the same pass fed the
/// normal ones only (the baseline of its category; Ratio is the subnormal case's time over it, to stay within 1.2 on any
/// processor). Many x86 cores, Intel's among them, compute with a subnormal operand or result through a microcode assist
/// some hundred times slower than a normal operation; a pass that lets them through shows it here on such a core.
/// Shapes are the documented recipe's: 784-256-10, batch 32, Adam; inputs MNIST-like, a fifth of them nonzero.
/// <list type="bullet">
/// <item>optimizer steps (Adam, SGD with momentum and weight decay) over the first layer's weights: half of the
/// moments and gradients subnormal, as the moments of weights whose gradient is mostly zero become;</item>
/// <item>forward (EvaluateBatch) and forward with backward (TrainBatch at learning rate 0, so that the weights stay as
/// set): subnormal inputs beside each row's normal ones, a quarter of the weights subnormal, and a last layer scaled so
/// that most softmax terms fall below the smallest normal float;</item>
/// <item>scoring (MlpScorer.Predict) of the same rows with the same weights.</item>
/// </list>
/// </summary>
[MemoryDiagnoser]
[InProcess]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class SubnormalBenchmarks
{
    const int Inputs = 784, Hidden = 256, Classes = 10, BatchRows = 32, ScoredRows = 256;
    const float Subnormal = 3e-39f;

    /// <summary>One variant's data: the same normal values in both, subnormals beside them in one.</summary>
    sealed class Variant : IDisposable
    {
        public required ManagedLayer Adam, Sgd;
        public required float[][] AdamTemplates, SgdTemplates; // gradient and moments, restored before each step
        public required ManagedMlp Mlp;
        public required Batch Batch;
        public required MlpScorer Scorer;
        public required float[][] Rows;

        public void Dispose() => Mlp.Dispose();
    }

    Variant _normal = null!, _subnormal = null!;
    readonly float[] _probabilities = new float[Classes];
    static readonly MlpOptimizer AdamSettings = MlpOptimizer.Adam(), SgdSettings = MlpOptimizer.Sgd(0.9f, 1e-4f);
    const float AdamRate = 0.003f, SgdRate = 0.1f;

    [GlobalSetup]
    public void Setup()
    {
        _normal = Make(withSubnormals: false);
        _subnormal = Make(withSubnormals: true);
    }

    static Variant Make(bool withSubnormals)
    {
        var random = new Random(1);
        var initial = LinearInit.Mlp([Inputs, Hidden, Classes], seed: 1);
        var weights = new[] { initial.GetWeights(0), initial.GetWeights(1) };
        if (withSubnormals)
        {
            for (int l = 0; l < 2; l++)
                for (int i = 0; i < weights[l].Length; i += 4) weights[l][i] = Subnormal * (i % 8 == 0 ? 1 : -1);
            for (int i = 1; i < weights[1].Length; i += 4) weights[1][i] *= 200; // logits spread far past -87: softmax underflows
        }
        var network = new MlpNetwork([Inputs, Hidden, Classes], weights, [initial.GetBiases(0), initial.GetBiases(1)]);
        var rows = Enumerable.Range(0, Math.Max(BatchRows, ScoredRows)).Select(_ =>
        {
            var row = new float[Inputs];
            for (int k = 0; k < Inputs; k++)
            {
                double u = random.NextDouble();
                if (u < 0.2) row[k] = (float)random.NextDouble();
                else if (u < 0.4 && withSubnormals) row[k] = Subnormal * (float)random.NextDouble();
            }
            return row;
        }).ToArray();
        var batch = new Batch(0, BatchRows, Inputs, rows.Take(BatchRows).SelectMany(r => r).ToArray(),
            Enumerable.Range(0, BatchRows).Select(r => r % Classes).ToArray());
        var mlp = new ManagedMlp(network, MlpOptimizer.Sgd(), learningRate: 0.1f) { LearningRate = 0 };
        return new Variant
        {
            Adam = Layer(weights[0]), Sgd = Layer(weights[0]),
            AdamTemplates = Templates(3, withSubnormals, random), SgdTemplates = Templates(2, withSubnormals, random),
            Mlp = mlp, Batch = batch, Scorer = new MlpScorer(network), Rows = rows.Take(ScoredRows).ToArray(),
        };
    }

    static ManagedLayer Layer(float[] weights) => new(weights, new float[Hidden], Inputs, Hidden, withGradients: true);

    /// <summary>A gradient and the optimizer's moments, [in x width]: ordinary values, or every other one subnormal.</summary>
    static float[][] Templates(int count, bool withSubnormals, Random random) =>
        Enumerable.Range(0, count).Select(t => Enumerable.Range(0, Inputs * Hidden)
            .Select(i => withSubnormals && i % 2 == 0 ? Subnormal : (float)(random.NextDouble() * (t == 2 ? 1e-4 : 1e-2))).ToArray()).ToArray();

    static void Restore(ManagedLayer layer, float[][] templates)
    {
        templates[0].CopyTo(layer.WeightGradient.Span);
        // ImportMoments takes [out x in] as torch holds them; the templates are random either way.
        layer.ImportMoments(templates.Skip(1).Select(m => (m, new float[Hidden])).ToArray());
    }

    [IterationSetup(Targets = [nameof(AdamStep), nameof(AdamStepSubnormal)])]
    public void RestoreAdam()
    {
        Restore(_normal.Adam, _normal.AdamTemplates);
        Restore(_subnormal.Adam, _subnormal.AdamTemplates);
    }

    [IterationSetup(Targets = [nameof(SgdStep), nameof(SgdStepSubnormal)])]
    public void RestoreSgd()
    {
        Restore(_normal.Sgd, _normal.SgdTemplates);
        Restore(_subnormal.Sgd, _subnormal.SgdTemplates);
    }

    static void Adam(Variant v) => v.Adam.Step(AdamSettings, AdamRate, AdamSettings.Momentum, 100, 0, Inputs, withBiases: true, freshMomentum: false);

    static void Sgd(Variant v) => v.Sgd.Step(SgdSettings, SgdRate, SgdSettings.Momentum, 100, 0, Inputs, withBiases: true, freshMomentum: false);

    [Benchmark(Baseline = true), BenchmarkCategory("Adam step")]
    public void AdamStep() => Adam(_normal);

    [Benchmark, BenchmarkCategory("Adam step")]
    public void AdamStepSubnormal() => Adam(_subnormal);

    [Benchmark(Baseline = true), BenchmarkCategory("SGD momentum step")]
    public void SgdStep() => Sgd(_normal);

    [Benchmark, BenchmarkCategory("SGD momentum step")]
    public void SgdStepSubnormal() => Sgd(_subnormal);

    [Benchmark(Baseline = true), BenchmarkCategory("forward")]
    public double Forward() => _normal.Mlp.EvaluateBatch(_normal.Batch).Loss;

    [Benchmark, BenchmarkCategory("forward")]
    public double ForwardSubnormal() => _subnormal.Mlp.EvaluateBatch(_subnormal.Batch).Loss;

    [Benchmark(Baseline = true), BenchmarkCategory("forward+backward")]
    public double ForwardBackward() => _normal.Mlp.TrainBatch(_normal.Batch);

    [Benchmark, BenchmarkCategory("forward+backward")]
    public double ForwardBackwardSubnormal() => _subnormal.Mlp.TrainBatch(_subnormal.Batch);

    float Score(Variant v)
    {
        float sum = 0;
        foreach (var row in v.Rows)
        {
            v.Scorer.Predict(row, _probabilities);
            sum += _probabilities[0];
        }
        return sum;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = ScoredRows), BenchmarkCategory("scoring a row")]
    public float Scoring() => Score(_normal);

    [Benchmark(OperationsPerInvoke = ScoredRows), BenchmarkCategory("scoring a row")]
    public float ScoringSubnormal() => Score(_subnormal);

    [GlobalCleanup]
    public void Cleanup()
    {
        _normal.Dispose();
        _subnormal.Dispose();
    }
}
