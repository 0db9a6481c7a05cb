using MlNetMnist.Tests.Trainers.TorchSharp;
using static TorchSharp.torch;

namespace MlNetMnist.Tests.Trainers.TorchSharp;

/// <summary>The suite's test_close must be able to fail: a NaN difference is not "close".</summary>
[TestClass]
public sealed class TorchAssertTests
{
    [TestMethod]
    public void Close_FailsOnNaN()
    {
        using var nan = full(3, float.NaN);
        using var one = ones(3);
        Assert.ThrowsExactly<AssertFailedException>(() => TorchAssert.Close(one, nan, what: "all-NaN implementation"));
        Assert.ThrowsExactly<AssertFailedException>(() => TorchAssert.Close(nan, nan, what: "NaN on both sides"));
        Assert.ThrowsExactly<AssertFailedException>(() => TorchAssert.RelativelyClose(one, nan, 1e-3, "relative, NaN"));
        TorchAssert.Close(one, one, what: "equal");
    }
}
