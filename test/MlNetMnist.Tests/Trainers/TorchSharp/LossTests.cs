using MlNetMnist.Trainers.Losses;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace MlNetMnist.Tests.Trainers.TorchSharp;

[TestClass]
public sealed class LossTests
{
    static (Tensor Logits, Tensor Target) Random(double scale = 3)
    {
        using var generator = new Generator(7);
        return (randn([64, 10], generator: generator) * scale, randint(0, 10, [64], generator: generator));
    }

    [TestMethod]
    public void LogSumExp_MatchesTorch()
    {
        using var scope = NewDisposeScope();
        var (x, _) = Random();
        TorchAssert.Close(logsumexp(x, -1), Loss.LogSumExp(x), what: "logsumexp");
    }

    [TestMethod]
    public void LogSoftmax_MatchesTorch()
    {
        using var scope = NewDisposeScope();
        var (x, _) = Random();
        TorchAssert.Close(F.log_softmax(x, -1), Loss.LogSoftmax(x), what: "log_softmax");
    }

    [TestMethod]
    public void Nll_MatchesTorch()
    {
        using var scope = NewDisposeScope();
        var (x, y) = Random();
        var logp = F.log_softmax(x, -1);
        TorchAssert.Close(F.nll_loss(logp, y), Loss.Nll(logp, y), what: "nll_loss");
    }

    [TestMethod]
    public void CrossEntropy_MatchesTorch()
    {
        using var scope = NewDisposeScope();
        var (x, y) = Random();
        TorchAssert.Close(F.cross_entropy(x, y), Loss.CrossEntropy(x, y), what: "cross_entropy");
    }

    [TestMethod]
    public void LogSoftmax_MatchesTorch_AtLargeLogits()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new float[] { 1e4f, -1e4f, 0f, 1e4f - 1, -1e4f, 1e4f }, [2, 3]);
        var naive = x - x.exp().sum(-1, keepdim: true).log();
        Assert.IsFalse(naive.isfinite().all().item<bool>(), "the naive form overflows here");
        var ours = Loss.LogSoftmax(x);
        Assert.IsTrue(ours.isfinite().all().item<bool>());
        // At 1e4 a float32 ulp is about 1e-3, so agreement is judged relative to the magnitude.
        TorchAssert.RelativelyClose(F.log_softmax(x, -1), ours, 1e-6, "log_softmax at 1e4");
        TorchAssert.RelativelyClose(logsumexp(x, -1), Loss.LogSumExp(x), 1e-6, "logsumexp at 1e4");
        var y = tensor(new long[] { 1, 0 });
        var crossEntropy = Loss.CrossEntropy(x, y);
        Assert.IsTrue(crossEntropy.isfinite().item<bool>());
        TorchAssert.RelativelyClose(F.cross_entropy(x, y), crossEntropy, 1e-6, "cross_entropy at 1e4");
    }

    [TestMethod]
    public void Accuracy_CountsArgmaxHits()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new float[] { 1, 2, 3, 3, 2, 1 }, [2, 3]);
        Assert.AreEqual(0.5f, Loss.Accuracy(x, tensor(new long[] { 2, 1 })).item<float>());
    }
}
