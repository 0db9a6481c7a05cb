using MlNetMnist.DataViews;
using MlNetMnist.Tests.Trainers.TorchSharp;
using MlNetMnist.Trainers.Engines;
using MlNetMnist.Trainers.Engines.Autograd;
using MlNetMnist.Trainers.Engines.Managed;
using MlNetMnist.Trainers.Losses;
using MlNetMnist.Trainers.Models;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace MlNetMnist.Tests.Trainers.Engines;

/// <summary>
/// Every head's loss and gradient, hand-written twice (on tensors for the autograd engine, on spans for the managed one),
/// against torch's own: F.cross_entropy (class weights), F.binary_cross_entropy_with_logits, F.mse_loss, F.huber_loss,
/// weighted means and autograd's gradients; and both engines stepping alike on every head.
/// </summary>
[TestClass]
public sealed class HeadTests
{
    const int Rows = 40;

    static MlpHead Head(string kind) => kind switch
    {
        "softmax" => MlpHead.Softmax([0.5f, 2f, 1f, 0f, 1.5f]),
        "logistic" => MlpHead.Logistic([1f, 3f]),
        "squared" => MlpHead.Squared(),
        _ => MlpHead.Huber(0.7f),
    };

    /// <summary>Outputs [Rows, k] at a scale where Huber's both branches and confident logits occur, labels, targets and example weights (some 0).</summary>
    static (Tensor Outputs, Tensor Labels, Tensor Targets, float[] Weights) Data(MlpHead head)
    {
        using var generator = new Generator(11);
        int k = head.OutputCount(5);
        var outputs = randn([Rows, k], generator: generator) * 4;
        var labels = randint(0, head.Kind == HeadKind.Logistic ? 2 : 5, [Rows], generator: generator);
        var targets = randn([Rows], generator: generator) * 1.5;
        var random = new Random(3);
        var weights = Enumerable.Range(0, Rows).Select(i => i % 7 == 0 ? 0f : (float)random.NextDouble() * 2).ToArray();
        return (outputs, labels, targets, weights);
    }

    /// <summary>torch's own loss per row, reduction none.</summary>
    static Tensor TorchPerRow(MlpHead head, Tensor outputs, Tensor labels, Tensor targets) => head.Kind switch
    {
        HeadKind.Softmax => F.cross_entropy(outputs, labels, reduction: nn.Reduction.None),
        HeadKind.Logistic => F.binary_cross_entropy_with_logits(outputs.squeeze(1), labels.to_type(ScalarType.Float32), reduction: nn.Reduction.None),
        HeadKind.Squared => F.mse_loss(outputs.squeeze(1), targets, reduction: nn.Reduction.None),
        _ => F.huber_loss(outputs.squeeze(1), targets, reduction: nn.Reduction.None, delta: head.HuberDelta),
    };

    /// <summary>A row's weight: its example weight times its class's weight (torch's weight= argument of cross_entropy).</summary>
    static Tensor RowWeights(MlpHead head, Tensor labels, float[] weights)
    {
        var w = tensor(weights);
        return head.ClassWeights is { } classes ? w * tensor(classes.ToArray())[labels] : w;
    }

    [TestMethod]
    [DataRow("softmax")]
    [DataRow("logistic")]
    [DataRow("squared")]
    [DataRow("huber")]
    public void HeadLoss_MatchesTorch_PlainAndWeighted(string kind)
    {
        using var scope = NewDisposeScope();
        var head = Head(kind) with { ClassWeights = null };
        var (z, y, t, weights) = Data(head);
        TorchAssert.Close(TorchPerRow(head, z, y, t).mean(), HeadLoss.Mean(head, z, y, t, null), 1e-5, $"{kind} mean");
        var w = tensor(weights);
        var expected = (TorchPerRow(head, z, y, t) * w).sum() / w.sum();
        TorchAssert.Close(expected, HeadLoss.Mean(head, z, y, t, w), 1e-5, $"{kind} weighted mean");
    }

    [TestMethod]
    public void SoftmaxWithClassWeights_IsTorchsWeightedCrossEntropy()
    {
        using var scope = NewDisposeScope();
        var head = Head("softmax");
        var (z, y, t, _) = Data(head);
        var classWeights = tensor(head.ClassWeights!.ToArray());
        var rowWeights = classWeights[y];
        TorchAssert.Close(F.cross_entropy(z, y, classWeights), HeadLoss.Mean(head, z, y, t, rowWeights), 1e-5, "weighted cross_entropy");
    }

    [TestMethod]
    [DataRow("softmax")]
    [DataRow("logistic")]
    [DataRow("squared")]
    [DataRow("huber")]
    public void ManagedLossAndGradient_MatchAutograd(string kind)
    {
        using var scope = NewDisposeScope();
        var head = Head(kind);
        var (z, y, t, weights) = Data(head);
        var w = RowWeights(head, y, weights);
        var leaf = z.clone().requires_grad_(true);
        var loss = (TorchPerRow(head, leaf, y, t) * w).sum() / w.sum();
        loss.backward();

        int k = (int)z.shape[1], padded = (k + 15) / 16 * 16;
        var outputs = z.data<float>().ToArray();
        var labels = y.data<long>().ToArray();
        var targets = t.data<float>().ToArray();
        var batch = new Batch(0, Rows, 1, new float[Rows], labels.Select(l => (int)l).ToArray()) { Weights = weights };
        double lossSum = 0, weightSum = 0;
        var gradient = new float[Rows * k];
        for (int r = 0; r < Rows; r++)
        {
            var row = new float[padded];
            outputs.AsSpan(r * k, k).CopyTo(row);
            float weight = head.Weight(batch, r);
            lossSum += weight * (double)head.LossAndGradient(row, k, (int)labels[r], targets[r]);
            weightSum += weight;
            for (int c = 0; c < k; c++) gradient[r * k + c] = row[c] * weight;
            Assert.IsTrue(row.AsSpan(k).IndexOfAnyExcept(0f) < 0, "the padding stays zero");
        }
        Assert.AreEqual(loss.item<float>(), lossSum / weightSum, 1e-5, $"{kind} loss");
        TorchAssert.Close(leaf.grad!, tensor(gradient, z.shape) / (float)weightSum, 1e-6, $"{kind} gradient");
    }

    [TestMethod]
    [DataRow("softmax", false)]
    [DataRow("logistic", false)]
    [DataRow("squared", false)]
    [DataRow("huber", false)]
    [DataRow("squared", true)]  // Adam
    [DataRow("logistic", true)]
    public void ManagedAndAutogradEngines_StepAlike_OnEveryHead(string kind, bool adam)
    {
        var head = Head(kind) with { TargetMean = 0.3f, TargetScale = 2f };
        int k = head.OutputCount(5);
        var initial = LinearInit.Mlp([30, 24, k], seed: 5);
        var optimizer = adam ? MlpOptimizer.Adam() : MlpOptimizer.Sgd(0.9f);
        float rate = adam ? 0.01f : 0.1f;
        using var managed = ManagedEngine.Instance.Create(initial, optimizer, rate, head: head);
        using var autograd = AutogradEngine.Instance.Create(initial, optimizer, rate, head: head);
        for (int step = 0; step < 3; step++)
        {
            var batch = WithRowValues(TestData.RandomBatch(Rows, 30, head.Kind == HeadKind.Logistic ? 2 : 5, seed: step), step);
            double a = managed.TrainBatch(batch), b = autograd.TrainBatch(batch);
            Assert.AreEqual(b, a, 1e-5, $"loss at step {step}");
            Assert.IsTrue(double.IsFinite(a));
        }
        var valid = WithRowValues(TestData.RandomBatch(25, 30, head.Kind == HeadKind.Logistic ? 2 : 5, seed: 9), 9);
        var (x, y) = (managed.EvaluateBatch(valid), autograd.EvaluateBatch(valid));
        Assert.AreEqual(y.Loss, x.Loss, 1e-4);
        Assert.AreEqual(y.Weight, x.Weight, 1e-6);
        Assert.AreEqual(managed.Metric(y), managed.Metric(x), 1e-4);
        var (m, g) = (managed.ToNetwork(), autograd.ToNetwork());
        for (int l = 0; l < m.LayerCount; l++)
        {
            TorchAssert.Close(tensor(g.GetWeights(l)), tensor(m.GetWeights(l)), 1e-5, $"layer {l} weights");
            TorchAssert.Close(tensor(g.GetBiases(l)), tensor(m.GetBiases(l)), 1e-5, $"layer {l} biases");
        }
    }

    /// <summary>The batch with targets and example weights (every fifth row weight 0: it must not count).</summary>
    static Batch WithRowValues(Batch batch, int seed)
    {
        var random = new Random(seed);
        var targets = Enumerable.Range(0, batch.Size).Select(_ => (float)(random.NextDouble() * 4 - 1)).ToArray();
        var weights = Enumerable.Range(0, batch.Size).Select(i => i % 5 == 0 ? 0f : (float)random.NextDouble() + 0.5f).ToArray();
        return new Batch(batch.Index, batch.Size, batch.FeatureCount, batch.Features, batch.Labels) { Targets = targets, Weights = weights };
    }

    [TestMethod]
    public void ZeroWeightRows_DoNotCount()
    {
        var head = MlpHead.Squared();
        var initial = LinearInit.Mlp([30, 8, 1], seed: 2);
        using var a = ManagedEngine.Instance.Create(initial, MlpOptimizer.Sgd(), 0.1f, head: head);
        using var b = ManagedEngine.Instance.Create(initial, MlpOptimizer.Sgd(), 0.1f, head: head);
        var batch = WithRowValues(TestData.RandomBatch(20, 30, 2, seed: 4), 4);
        var weights = batch.Weights.ToArray();
        var targets = batch.Targets.ToArray();
        for (int i = 0; i < 20; i += 5) targets[i] = 1e6f; // rows of weight 0: any target
        a.TrainBatch(batch);
        b.TrainBatch(new Batch(0, 20, 30, batch.Features, batch.Labels) { Targets = targets, Weights = weights });
        CollectionAssert.AreEqual(a.ToNetwork().GetWeights(0), b.ToNetwork().GetWeights(0));
    }
}
