using Microsoft.ML;
using MlNetMnist.DataViews;
using MlNetMnist.Trainers.Nn;
using MlNetMnist.Trainers.Nn.Manual;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetMnist.Tests.Trainers.TorchSharp;

/// <summary>The lesson's hand-written backward against autograd, on a batch of real MNIST.</summary>
[TestClass]
public sealed class ManualBackwardTests
{
    static Tensor MnistBatch(int rows, out Tensor labels)
    {
        var ml = new MLContext();
        var test = ml.Data.TakeRows(TestData.Splits(ml).Test, rows);
        var dataset = Dataset.FromDataView(ml.Transforms.ScalePixels().Fit(test).Transform(test));
        var (features, y) = dataset[Enumerable.Range(0, rows).ToArray()];
        labels = tensor(y.Select(v => (long)v).ToArray());
        return tensor(features, [rows, 784]);
    }

    [TestMethod]
    public void CrossEntropyModel_GradientsMatchAutograd_OnRealMnist()
    {
        using var scope = NewDisposeScope();
        var x = MnistBatch(64, out var y);
        var loss = new ManualCrossEntropy();
        AssertManualMatchesAutograd(x, [784, 50, 10], seed: 1,
            logits => global::MlNetMnist.Trainers.Losses.Loss.CrossEntropy(logits, y),
            output => { loss.Forward(output, y); return loss.Backward(); });
    }

    [TestMethod]
    public void MseModel_GradientsMatchAutograd_AsInTheLesson()
    {
        // Seed 001 regresses the digit's value with Lin-ReLU-Lin and MSE.
        using var scope = NewDisposeScope();
        var x = MnistBatch(64, out var y);
        var target = y.to_type(ScalarType.Float32);
        var mse = new ManualMse();
        AssertManualMatchesAutograd(x, [784, 50, 1], seed: 2,
            output => (output.squeeze(-1) - target).pow(2).mean(),
            output => { mse.Forward(output, target); return mse.Backward(); });
    }

    /// <summary>Autograd through the modules against the manual layers holding the same weights: every gradient.</summary>
    static void AssertManualMatchesAutograd(Tensor x, int[] sizes, int seed, Func<Tensor, Tensor> autogradLoss, Func<Tensor, Tensor> manualLossGradient)
    {
        using var model = Sequential.Mlp(sizes, new Generator((ulong)seed));
        var input = x.clone().requires_grad_(true);
        autogradLoss(model.Forward(input)).backward();

        var l1 = (Linear)model.Layers[0];
        var l2 = (Linear)model.Layers[2];
        var m1 = new ManualLinear(l1.Weight.detach(), l1.Bias.detach());
        var m2 = new ManualLinear(l2.Weight.detach(), l2.Bias.detach());
        var manual = new ManualModel(m1, new ManualRelu(), m2);
        var inputGradient = manual.Backward(manualLossGradient(manual.Forward(x)));

        TorchAssert.RelativelyClose(l1.Weight.grad!, m1.WeightGradient!, 1e-4, "layer 1 weight");
        TorchAssert.RelativelyClose(l1.Bias.grad!, m1.BiasGradient!, 1e-4, "layer 1 bias");
        TorchAssert.RelativelyClose(l2.Weight.grad!, m2.WeightGradient!, 1e-4, "layer 2 weight");
        TorchAssert.RelativelyClose(l2.Bias.grad!, m2.BiasGradient!, 1e-4, "layer 2 bias");
        TorchAssert.RelativelyClose(input.grad!, inputGradient, 1e-4, "input");
    }
}
