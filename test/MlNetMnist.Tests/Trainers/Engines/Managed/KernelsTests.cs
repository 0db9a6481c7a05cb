using MlNetMnist.Trainers.Engines.Managed;
using static TorchSharp.torch;

namespace MlNetMnist.Tests.Trainers.Engines.Managed;

[TestClass]
public sealed class KernelsTests
{
    /// <summary>Cross-entropy and its gradient for one padded row, as F.cross_entropy and autograd give them.</summary>
    [TestMethod]
    [DataRow(new float[] { 0.5f, -1, 2, 0.25f, 3, -2, 0, 1, 1.5f, -0.5f }, 4)]
    [DataRow(new float[] { 0, -40, 50, -45, -20, 49, 0, 0, 1, -52 }, 2)]        // gaps of 90, 95 and 102: exps in the subnormal range
    [DataRow(new float[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19 }, 18)] // two vectors, the second partial
    public void CrossEntropyAndGradient_MatchesTorch_AndLeavesNoSubnormal(float[] logits, int label)
    {
        int width = (logits.Length + 15) / 16 * 16;
        var row = new float[width];
        logits.CopyTo(row, 0);
        float loss = Kernels.SoftmaxCrossEntropyAndGradient(row, logits.Length, label);

        using var x = tensor(logits).unsqueeze(0).requires_grad_();
        using var expected = nn.functional.cross_entropy(x, tensor(new long[] { label }));
        expected.backward();
        var gradient = x.grad!.data<float>().ToArray();
        Assert.AreEqual(expected.item<float>(), loss, 1e-5);
        for (int c = 0; c < logits.Length; c++)
        {
            Assert.AreEqual(gradient[c], row[c], 1e-6, $"class {c}");
            Assert.IsFalse(float.IsSubnormal(row[c]), $"class {c}: {row[c]} is subnormal");
        }
        for (int c = logits.Length; c < width; c++) Assert.AreEqual(0f, row[c], $"padding {c}");
    }
}
