using MlNetMnist.DataViews;
using MlNetMnist.Tests.Trainers.TorchSharp;
using MlNetMnist.Trainers.Engines;
using MlNetMnist.Trainers.Engines.Autograd;
using MlNetMnist.Trainers.Engines.Managed;
using MlNetMnist.Trainers.Losses;
using MlNetMnist.Tests.Trainers.Engines;
using MlNetMnist.Trainers.Models;
using MlNetMnist.Trainers.Nn;
using static TorchSharp.torch;

namespace MlNetMnist.Tests.Trainers.Engines.Managed;

/// <summary>
/// The managed engine and the scorer never keep a subnormal float (many x86 cores compute with them through a slow
/// assist, and .NET has no flush-to-zero mode), and the flushing moves the results away from torch's by no more than
/// its stated bound.
/// </summary>
[TestClass]
public sealed class SubnormalTests
{
    const float SmallestNormal = 1.17549435e-38f;

    static bool IsSubnormal(float x) => x != 0 && MathF.Abs(x) < SmallestNormal;

    static void AssertNoSubnormal(IEnumerable<float> values, string what)
    {
        var found = values.Where(IsSubnormal).ToArray();
        Assert.AreEqual(0, found.Length, $"{what}: {found.Length} subnormal values, e.g. {found.FirstOrDefault():R}");
    }

    /// <summary>
    /// A batch of <paramref name="rows"/> x <paramref name="features"/>: the first half of the columns zero in every row
    /// (their weights get no gradient, so their moments only decay), the rest normal values with a subnormal beside
    /// each, and labels that the <see cref="Extreme"/> model gets very wrong or very right.
    /// </summary>
    static Batch MixedBatch(int rows, int features, int classes, int seed)
    {
        var random = new Random(seed);
        var x = new float[rows * features];
        for (int r = 0; r < rows; r++)
            for (int k = features / 2; k < features; k++)
                x[r * features + k] = k % 2 == 0 ? (float)random.NextDouble() : 3e-39f * (random.Next(2) * 2 - 1);
        var y = Enumerable.Range(0, rows).Select(_ => random.Next(classes)).ToArray();
        return new Batch(0, rows, features, x, y);
    }

    /// <summary>
    /// Initial weights with subnormals and values just above the smallest normal (which a weight decay would take
    /// below it), and a last layer large enough that most softmax terms underflow.
    /// </summary>
    static MlpNetwork Extreme(int[] sizes)
    {
        var initial = LinearInit.Mlp(sizes, seed: 2);
        var weights = Enumerable.Range(0, sizes.Length - 1).Select(initial.GetWeights).ToArray();
        for (int l = 0; l < weights.Length; l++)
            for (int i = 0; i < weights[l].Length; i++)
            {
                if (i % 5 == 0) weights[l][i] = 2e-39f;
                else if (i % 5 == 1) weights[l][i] = 1.2e-38f;
                else if (l == weights.Length - 1) weights[l][i] *= 400;
            }
        return new MlpNetwork(sizes, weights, Enumerable.Range(0, sizes.Length - 1).Select(initial.GetBiases).ToArray());
    }

    [TestMethod]
    [DataRow("adam", 32)]
    [DataRow("adamw", 32)]
    [DataRow("adam", 150)]   // split between threads
    [DataRow("sgd", 32)]
    [DataRow("sgd", 150)]
    public void Steps_KeepNoSubnormal_InWeightsOrOptimizerState(string kind, int batchSize)
    {
        int[] sizes = [64, 40, 10];
        var (optimizer, rate) = kind switch
        {
            "adam" => (MlpOptimizer.Adam(weightDecay: 0.1f), 0.01f),
            "adamw" => (MlpOptimizer.AdamW(weightDecay: 0.5f), 0.01f),
            _ => (MlpOptimizer.Sgd(0.9f, 0.5f), 0.1f),
        };
        // A state whose moments sit just above the smallest normal: one step's decay would take them below it.
        MlpOptimizerState state;
        using (var first = new ManagedMlp(Extreme(sizes), optimizer, rate))
        {
            first.TrainBatch(MixedBatch(batchSize, sizes[0], sizes[^1], seed: 0));
            state = first.ExportState();
        }
        foreach (var moment in state.Moments)
            for (int i = 0; i < moment.Length; i++)
                moment[i] = i % 2 == 0 ? 1.2e-38f : 4e-39f;
        using var model = new ManagedMlp(Extreme(sizes), optimizer, rate, state: state);
        for (int step = 0; step < 6; step++)
        {
            model.TrainBatch(MixedBatch(batchSize, sizes[0], sizes[^1], seed: step + 1));
            var network = model.ToNetwork();
            for (int l = 0; l < network.LayerCount; l++)
            {
                AssertNoSubnormal(network.GetWeights(l), $"step {step}, layer {l} weights");
                AssertNoSubnormal(network.GetBiases(l), $"step {step}, layer {l} biases");
            }
            var moments = model.ExportState().Moments;
            for (int m = 0; m < moments.Count; m++) AssertNoSubnormal(moments[m], $"step {step}, optimizer buffer {m}");
        }
    }

    [TestMethod]
    public void LossGradient_HasNoSubnormal_AtExtremeLogits_AndTheLossIsExact()
    {
        float[] logits = [0, -30, -44, -45, -60, -80, -87, -87.5f, -90, -100, -103, -110, -150, 5, -20, -95];
        var row = logits.ToArray();
        float loss = Kernels.SoftmaxCrossEntropyAndGradient(row, logits.Length, label: 3);
        AssertNoSubnormal(row, "gradient");
        double max = logits.Max(), sum = logits.Sum(x => Math.Exp(x - max));
        Assert.AreEqual(Math.Log(sum) + max - logits[3], loss, 1e-5);
        Assert.AreEqual(Math.Log(sum) + max - logits[3], MlpHead.Softmax().Loss(logits, 3, 0), 1e-5);
        for (int c = 0; c < logits.Length; c++)
        {
            double expected = Math.Exp(logits[c] - max) / sum - (c == 3 ? 1 : 0);
            Assert.IsTrue(Math.Abs(row[c] - expected) <= 1e-6 * Math.Abs(expected) + Flush.Floor, $"class {c}: {row[c]:R} against {expected:R}");
        }
    }

    /// <summary>
    /// Adam's pass against torch's formula in double without flushing, over 100 steps of gradients spread over
    /// 1e-22 to 1e-12 (those below 2^-50 are flushed) beside ordinary ones: each weight stays within the stated bound,
    /// Σ over steps of 2 · lr / (1 - β1ᵗ) · 2^-50 / ε, plus float rounding of the ordinary ones.
    /// </summary>
    [TestMethod]
    public void AdamPass_StaysWithinTheFlushBound_OfTheUnflushedFormula()
    {
        const int n = 512, steps = 100;
        var settings = MlpOptimizer.Adam();
        const float rate = 0.01f;
        double lr = rate, beta1 = settings.Momentum, beta2 = settings.Beta2, eps = settings.Epsilon;
        var random = new Random(11);
        float[] p = new float[n], m = new float[n], v = new float[n];
        double[] rp = new double[n], rm = new double[n], rv = new double[n];
        bool[] tiny = Enumerable.Range(0, n).Select(i => i % 2 == 0).ToArray();
        double bound = 0;
        for (int t = 1; t <= steps; t++)
        {
            var g = new float[n];
            for (int i = 0; i < n; i++)
                g[i] = (random.Next(2) * 2 - 1) * (tiny[i] ? (float)Math.Pow(10, -22 + 10 * random.NextDouble()) : (float)random.NextDouble());
            OptimizerKernels.Adam(p, g.ToArray(), m, v, settings, rate, settings.Momentum, t);
            double c1 = 1 - Math.Pow(beta1, t), c2 = 1 - Math.Pow(beta2, t);
            for (int i = 0; i < n; i++)
            {
                rm[i] = beta1 * rm[i] + (1 - beta1) * g[i];
                rv[i] = beta2 * rv[i] + (1 - beta2) * g[i] * (double)g[i];
                rp[i] -= lr / c1 * rm[i] / (Math.Sqrt(rv[i]) / Math.Sqrt(c2) + eps);
            }
            bound += 2 * lr / c1 * Flush.AdamGradientFloor / eps;
        }
        AssertNoSubnormal(p.Concat(m).Concat(v), "weights and moments");
        double worstTiny = 0;
        for (int i = 0; i < n; i++)
        {
            double deviation = Math.Abs(p[i] - rp[i]);
            if (tiny[i]) worstTiny = Math.Max(worstTiny, deviation);
            else Assert.IsTrue(deviation <= 1e-5, $"weight {i}: {p[i]:R} against {rp[i]:R}");
        }
        Assert.IsTrue(worstTiny <= bound, $"tiny-gradient weights moved {worstTiny:E3} from the unflushed formula; the bound is {bound:E3}");
    }

    /// <summary>
    /// Many Adam steps on data whose columns mix ordinary values, tiny ones (gradients near the flush floor) and
    /// subnormal ones: the managed engine stays within the torch step-for-step tolerance of torch.optim.Adam.
    /// </summary>
    [TestMethod]
    public void AdamSteps_WithTinyAndSubnormalInputs_MatchTorchOptim()
    {
        int[] sizes = [48, 32, 5];
        var initial = LinearInit.Mlp(sizes, seed: 6);
        var settings = MlpOptimizer.Adam();
        const float rate = 0.01f;
        using var ours = new ManagedMlp(initial, settings, rate);
        using var model = Sequential.Mlp(initial);
        using var torchOptimizer = new TorchOptimizer(optim.Adam(model.Parameters(), rate, settings.Momentum, settings.Beta2, settings.Epsilon));
        var reference = new ModuleTrainable(model, Loss.CrossEntropy, torchOptimizer);
        for (int step = 0; step < 20; step++)
        {
            var random = new Random(step);
            var x = new float[32 * sizes[0]];
            for (int i = 0; i < x.Length; i++)
                x[i] = (i % sizes[0] % 3) switch { 0 => (float)random.NextDouble(), 1 => 1e-14f * (float)random.NextDouble(), _ => 5e-39f };
            var batch = new Batch(0, 32, sizes[0], x, Enumerable.Range(0, 32).Select(_ => random.Next(5)).ToArray());
            Assert.AreEqual(reference.TrainBatch(batch), ours.TrainBatch(batch), 1e-5, $"loss at step {step}");
        }
        var network = ours.ToNetwork();
        var linears = model.Layers.OfType<Linear>().ToArray();
        for (int l = 0; l < linears.Length; l++)
        {
            TorchAssert.Close(linears[l].Weight.detach(), tensor(network.GetWeights(l), linears[l].Weight.shape), 2e-5, $"layer {l} weight");
            TorchAssert.Close(linears[l].Bias.detach(), tensor(network.GetBiases(l)), 2e-5, $"layer {l} bias");
        }
    }

    /// <summary>
    /// Scoring's pinned definition: subnormal features and weights count as 0, and a logit 69.3 (ln 2^100) or more below
    /// the largest gets probability 0; every probability is then normal or 0.
    /// </summary>
    [TestMethod]
    public void Predict_TreatsSubnormalsAsZero_AndKeepsProbabilitiesNormal()
    {
        int[] sizes = [40, 20, 10];
        var withSubnormals = new MlpScorer(Extreme(sizes));
        var zeroed = new MlpScorer(new MlpNetwork(sizes,
            Enumerable.Range(0, 2).Select(l => withSubnormals.Network.GetWeights(l).Select(w => IsSubnormal(w) ? 0 : w).ToArray()).ToArray(),
            Enumerable.Range(0, 2).Select(withSubnormals.Network.GetBiases).ToArray()));
        var random = new Random(3);
        var probabilities = new float[10];
        var expected = new float[10];
        for (int row = 0; row < 50; row++)
        {
            var features = Enumerable.Range(0, 40).Select(k => k % 3 == 0 ? 4e-39f : (float)random.NextDouble() * 3).ToArray();
            withSubnormals.Predict(features, probabilities);
            zeroed.Predict(features.Select(x => IsSubnormal(x) ? 0 : x).ToArray(), expected);
            CollectionAssert.AreEqual(expected, probabilities, $"row {row}");
            AssertNoSubnormal(probabilities, $"row {row} probabilities");
            Assert.IsTrue(probabilities.All(float.IsFinite) && Math.Abs(probabilities.Sum() - 1) < 1e-5, $"row {row}: probabilities sum to {probabilities.Sum()}");
        }
        float[] logits = [0, -10, -69, -69.4f, -80, -87, -88, -100, -120, -200];
        MlpScorer.SoftMax(logits);
        AssertNoSubnormal(logits, "softmax of spread logits");
        Assert.IsTrue(logits[2] > 0 && logits[3] == 0 && logits[9] == 0, $"cut-off at -69.3: {string.Join(", ", logits)}");
    }
}
