using static TorchSharp.torch;

namespace MlNetMnist.Tests.Trainers.TorchSharp;

/// <summary>The lesson's test_close, for tensors.</summary>
internal static class TorchAssert
{
    public static void Close(Tensor expected, Tensor actual, double tolerance = 1e-5, string what = "")
    {
        CollectionAssert.AreEqual(expected.shape, actual.shape, $"{what}: shapes differ");
        double difference = (expected - actual).abs().max().item<float>();
        // NaN-safe: a NaN difference fails (IsLessThanOrEqualTo passes on NaN), and so does a NaN on both sides.
        Assert.IsTrue(difference <= tolerance, $"{what}: max |difference| {difference}");
    }

    /// <summary>max |expected - actual| / max |expected|.</summary>
    public static void RelativelyClose(Tensor expected, Tensor actual, double tolerance, string what)
    {
        CollectionAssert.AreEqual(expected.shape, actual.shape, $"{what}: shapes differ");
        double error = (expected - actual).abs().max().item<float>() / Math.Max(expected.abs().max().item<float>(), 1e-12);
        Console.WriteLine($"{what}: relative error {error:E2}");
        Assert.IsTrue(error < tolerance, $"{what}: relative error {error}");
    }
}
