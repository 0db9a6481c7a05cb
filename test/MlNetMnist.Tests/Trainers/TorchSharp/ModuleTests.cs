using MlNetMnist.Trainers.Nn;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetMnist.Tests.Trainers.TorchSharp;

[TestClass]
public sealed class ModuleTests
{
    [TestMethod]
    public void Parameters_FindsEveryWeightAndBias_OfTheLessonsModel()
    {
        using var model = Sequential.Mlp([784, 50, 10]);
        var names = model.NamedParameters().Select(p => p.Name).ToArray();
        CollectionAssert.AreEqual(new[] { "0.weight", "0.bias", "2.weight", "2.bias" }, names);
        Assert.AreEqual(784L * 50 + 50 + 50 * 10 + 10, model.Parameters().Sum(p => p.numel()));
        Assert.IsTrue(model.Parameters().All(p => p.requires_grad));
    }

    [TestMethod]
    public void Linear_InitialisesWithinPyTorchsBounds_AndFillsThem()
    {
        using var generator = new Generator(1);
        using var linear = new Linear(784, 50, generator);
        double bound = 1 / Math.Sqrt(784);
        double max = linear.Weight.abs().max().item<float>();
        Assert.IsTrue(max <= bound, $"largest weight {max}, bound {bound}"); // false for NaN too
        Assert.IsGreaterThan(0.95 * bound, max, "uniform over the whole range");
        Assert.AreEqual(0, linear.Weight.mean().item<float>(), bound / 20);
        Assert.IsTrue(linear.Bias.abs().max().item<float>() <= bound, "bias within the bound");
        CollectionAssert.AreEqual(new long[] { 50, 784 }, linear.Weight.shape);
    }

    [TestMethod]
    public void Linear_MatchesTorchLinear()
    {
        using var scope = NewDisposeScope();
        using var linear = new Linear(5, 3);
        var x = randn(4, 5);
        TorchAssert.Close(nn.functional.linear(x, linear.Weight, linear.Bias), linear.Forward(x));
    }

    [TestMethod]
    public void TrainAndEval_ReachEveryLayer()
    {
        using var model = Sequential.Mlp([4, 3, 2]);
        model.Eval();
        Assert.IsTrue(model.Layers.All(l => !l.Training));
        model.Train();
        Assert.IsTrue(model.Layers.All(l => l.Training));
    }

    [TestMethod]
    public void SameSeed_SameInitialWeights()
    {
        using var g1 = new Generator(3);
        using var g2 = new Generator(3);
        using var a = Sequential.Mlp([784, 50, 10], g1);
        using var b = Sequential.Mlp([784, 50, 10], g2);
        foreach (var (pa, pb) in a.Parameters().Zip(b.Parameters()))
            Assert.IsTrue(pa.eq(pb).all().item<bool>());
    }
}
