using MlNetMnist.Trainers.Losses;
using MlNetMnist.Trainers.Nn;
using MlNetMnist.Trainers.Optim;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetMnist.Tests.Trainers.TorchSharp;

[TestClass]
public sealed class SgdTests
{
    [TestMethod]
    [DataRow(0.0, 0.0)]
    [DataRow(0.9, 0.0)]
    [DataRow(0.0, 0.01)]
    [DataRow(0.9, 0.01)]
    public void Sgd_MatchesTorchOptimSgd_StepForStep(double momentum, double weightDecay)
    {
        using var ours = Sequential.Mlp([20, 8, 4], new Generator(5));
        using var theirs = Sequential.Mlp([20, 8, 4], new Generator(5));
        using var sgd = new Sgd(ours.Parameters(), 0.1, momentum, weightDecay);
        var reference = optim.SGD(theirs.Parameters(), 0.1, momentum, 0, weightDecay);
        using var data = new Generator(9);
        for (int step = 0; step < 5; step++)
        {
            using var scope = NewDisposeScope();
            var x = randn([16, 20], generator: data);
            var y = randint(0, 4, [16], generator: data);
            Loss.CrossEntropy(ours.Forward(x), y).backward();
            sgd.Step();
            sgd.ZeroGrad();
            Loss.CrossEntropy(theirs.Forward(x), y).backward();
            reference.step();
            reference.zero_grad();
            foreach (var ((name, a), b) in ours.NamedParameters().Zip(theirs.Parameters()))
                TorchAssert.Close(b, a, 1e-6, $"step {step}, {name}");
        }
    }
}
