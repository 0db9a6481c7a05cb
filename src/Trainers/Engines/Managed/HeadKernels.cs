namespace MlNetMnist.Trainers.Engines.Managed;

/// <summary>The managed engine's step through an <see cref="MlpHead"/>: each row's loss and its gradient in place of the outputs.</summary>
internal static class HeadKernels
{
    /// <summary>
    /// The (unweighted) loss of one row, returned, and its gradient with respect to the outputs written in their place:
    /// <paramref name="padded"/> holds the <paramref name="count"/> outputs padded with zeros to whole vectors, and the
    /// padding stays zero.
    /// </summary>
    public static float LossAndGradient(this MlpHead head, Span<float> padded, int count, int label, float target)
    {
        if (head.Kind == HeadKind.Softmax) return Kernels.SoftmaxCrossEntropyAndGradient(padded, count, label);
        float z = padded[0], loss = head.Loss(padded[..1], label, target);
        padded[0] = head.Kind switch
        {
            HeadKind.Logistic => MlpHead.Sigmoid(z) - label,
            HeadKind.Squared => 2 * (z - target),
            _ => Math.Clamp(z - target, -head.HuberDelta, head.HuberDelta),
        };
        return loss;
    }
}
