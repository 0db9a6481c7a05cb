using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace MlNetMnist.Trainers.Engines.Managed;

/// <summary>
/// Where the managed engine turns tiny floats into 0, so that no pass multiplies or adds a subnormal float (below
/// 2^-126), which many x86 cores (Intel's among them) handle through a microcode assist a hundred times slower than a
/// normal operation; .NET offers no flush-to-zero mode, so the kernels flush explicitly where subnormals would
/// otherwise keep arising:
/// <list type="bullet">
/// <item>inputs, ReLU outputs and the weights a layer is given: a subnormal counts as 0 (<see cref="SmallestNormal"/>);</item>
/// <item>after every optimizer step (other than plain SGD): parameters, first moments and SGD's momentum buffer below
/// <see cref="Floor"/> become 0, so that a geometric decay (β1ᵗ, momentumᵗ, weight decay) ends at 0 instead of
/// passing through the subnormal range; Adam's second moment below <see cref="SecondMomentFloor"/>;</item>
/// <item>the gradients an optimizer reads below <see cref="Floor"/> (Adam's below <see cref="AdamGradientFloor"/>, so
/// that (1 - β2)·g² stays normal);</item>
/// <item>softmax terms below <see cref="Floor"/> of the largest (the loss's gradient), so that probabilities and the
/// gradients below them stay normal.</item>
/// </list>
/// Every product of two values kept is then normal. The deviation from torch's unflushed arithmetic is bounded
/// (test/MlNetMnist.Tests/Trainers/Engines/Managed/SubnormalTests.cs): a flushed Adam gradient moves a weight by at most
/// lr / (1 - β1ᵗ) · <see cref="AdamGradientFloor"/> / ε per step, a flushed moment or parameter by less.
/// </summary>
internal static class Flush
{
    /// <summary>2^-126, the smallest normal float: anything smaller in magnitude is 0 or subnormal.</summary>
    public const float SmallestNormal = 1.17549435e-38f;

    /// <summary>2^-64: parameters, first moments and momentum buffers after a step, and the gradients SGD reads.</summary>
    public const float Floor = 5.42101086e-20f;

    /// <summary>ln 2^-64: softmax terms exp(x - max) below <see cref="Floor"/>.</summary>
    public const float FloorExponent = MlpHead.NegligibleSoftmaxExponent;

    /// <summary>2^-50: the gradients Adam reads; (1 - β2)·g² is then at least 2^-110 for any β2 below 1 - 2^-10.</summary>
    public const float AdamGradientFloor = 8.8817842e-16f;

    /// <summary>2^-100: Adam's second moment after a step (its square root, 2^-50, is far below any ε that keeps Adam stable).</summary>
    public const float SecondMomentFloor = 7.88860905e-31f;

    /// <summary>x, with the lanes whose magnitude is below <paramref name="floor"/> set to 0 (NaN is kept).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Below(Vector512<float> x, Vector512<float> floor) =>
        Vector512.AndNot(x, Vector512.LessThan(Vector512.Abs(x), floor));

    /// <summary>x (not negative), with the lanes below <paramref name="floor"/> set to 0 (NaN is kept).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> BelowNonNegative(Vector512<float> x, Vector512<float> floor) =>
        Vector512.AndNot(x, Vector512.LessThan(x, floor));

    /// <summary>Sets the values of magnitude below <paramref name="floor"/> to 0, in place.</summary>
    public static void Below(Span<float> values, float floor)
    {
        foreach (ref float v in values)
            if (MathF.Abs(v) < floor) v = 0;
    }
}
