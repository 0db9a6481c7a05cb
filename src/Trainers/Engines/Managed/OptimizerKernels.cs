using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace MlNetMnist.Trainers.Engines.Managed;

/// <summary>The optimizers' element-wise updates that do not fit TensorPrimitives' single operations, on 512-bit vectors.</summary>
internal static class OptimizerKernels
{
    /// <summary>
    /// One step of torch.optim.Adam (or AdamW, by <paramref name="optimizer"/>'s kind) at this step's rate and β1 over a parameter, its gradient
    /// and its two moments, in one pass (<see cref="AdamStep"/>). Lengths are whole vectors.
    /// </summary>
    public static void Adam(Span<float> parameter, Span<float> gradient, Span<float> exp_avg, Span<float> exp_avg_sq, MlpOptimizer optimizer,
        float learningRate, float beta1Now, long step) =>
        new AdamStep(optimizer, learningRate, beta1Now, step).Apply(parameter, gradient, exp_avg, exp_avg_sq);

    /// <summary>
    /// One step of torch.optim.Adam or AdamW, its scalars computed once and applied to any number of slices of a
    /// parameter: AdamW first decays p by (1 - lr·wd), Adam adds wd·p to the gradient; then m = β1·m + (1-β1)·g,
    /// v = β2·v + (1-β2)·g², p -= lr/(1-β1ᵗ) · m / (√v/√(1-β2ᵗ) + eps). The bias corrections are computed in double
    /// and the scalars rounded to float once, as torch does. Flushed (<see cref="Flush"/>): g below 2^-50, and after
    /// the step m and p below 2^-64, v below 2^-100, become 0.
    /// </summary>
    public readonly struct AdamStep
    {
        readonly Vector512<float> _l2, _decay, _b1, _b2, _a1, _a2, _inverseRoot2, _eps, _stepSize;

        public AdamStep(MlpOptimizer optimizer, float learningRate, float beta1Now, long step)
        {
            double lr = learningRate, beta1 = beta1Now, beta2 = optimizer.Beta2;
            double correction1 = 1 - Math.Pow(beta1, step), correction2 = 1 - Math.Pow(beta2, step);
            bool decoupled = optimizer.Kind == OptimizerKind.AdamW;
            _l2 = Vector512.Create(decoupled ? 0f : optimizer.WeightDecay);
            _decay = Vector512.Create(decoupled ? (float)(1 - lr * optimizer.WeightDecay) : 1f);
            _b1 = Vector512.Create((float)beta1);
            _b2 = Vector512.Create((float)beta2);
            _a1 = Vector512.Create((float)(1 - beta1));
            _a2 = Vector512.Create((float)(1 - beta2));
            // √v/√(1-β2ᵗ) as √v times the reciprocal: one division less per vector (the pass is bound by its divisions and
            // square roots), within a rounding of torch's quotient.
            _inverseRoot2 = Vector512.Create((float)(1 / Math.Sqrt(correction2)));
            _eps = Vector512.Create(optimizer.Epsilon);
            _stepSize = Vector512.Create((float)(-lr / correction1));
        }

        /// <summary>The step over one slice of a parameter and the same slices of its gradient and moments, whole vectors.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Apply(Span<float> parameter, Span<float> gradient, Span<float> exp_avg, Span<float> exp_avg_sq)
        {
            // Locals, so that the loop keeps them in registers.
            var (l2, decay, b1, b2, a1, a2, inverseRoot2, eps, stepSize) = (_l2, _decay, _b1, _b2, _a1, _a2, _inverseRoot2, _eps, _stepSize);
            var gradientFloor = Vector512.Create(Flush.AdamGradientFloor);
            var floor = Vector512.Create(Flush.Floor);
            var secondMomentFloor = Vector512.Create(Flush.SecondMomentFloor);
            ref float p = ref MemoryMarshal.GetReference(parameter);
            ref float g = ref MemoryMarshal.GetReference(gradient);
            ref float m = ref MemoryMarshal.GetReference(exp_avg);
            ref float v = ref MemoryMarshal.GetReference(exp_avg_sq);
            for (nuint i = 0; i < (nuint)parameter.Length; i += (nuint)Vector512<float>.Count)
            {
                var pi = Vector512.LoadUnsafe(ref p, i);
                var gi = Flush.Below(Vector512.FusedMultiplyAdd(l2, pi, Vector512.LoadUnsafe(ref g, i)), gradientFloor);
                pi *= decay;
                var mi = Flush.Below(Vector512.FusedMultiplyAdd(a1, gi, Vector512.LoadUnsafe(ref m, i) * b1), floor);
                var vi = Flush.BelowNonNegative(Vector512.FusedMultiplyAdd(a2, gi * gi, Vector512.LoadUnsafe(ref v, i) * b2), secondMomentFloor);
                var denominator = Vector512.FusedMultiplyAdd(Vector512.Sqrt(vi), inverseRoot2, eps);
                Flush.Below(Vector512.FusedMultiplyAdd(stepSize, mi / denominator, pi), floor).StoreUnsafe(ref p, i);
                mi.StoreUnsafe(ref m, i);
                vi.StoreUnsafe(ref v, i);
            }
        }
    }

    /// <summary>
    /// One step of torch.optim.SGD over a parameter and its gradient, whole vectors: g += wd·p; with momentum, buffer =
    /// g on the first step (<paramref name="fresh"/>), else momentum·buffer + g, and g = buffer; p += -lr·g. The
    /// arithmetic is TensorPrimitives.MultiplyAdd's (a product, then a sum: no fused multiply-add). Flushed
    /// (<see cref="Flush"/>): g, the buffer and p below 2^-64 become 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Sgd(Span<float> parameter, ReadOnlySpan<float> gradient, Span<float> buffer, float learningRate, float momentum, float weightDecay,
        bool fresh)
    {
        var floor = Vector512.Create(Flush.Floor);
        var wd = Vector512.Create(weightDecay);
        var mu = Vector512.Create(momentum);
        var minusLr = Vector512.Create(-learningRate);
        bool decay = weightDecay != 0, withMomentum = momentum != 0;
        ref float p = ref MemoryMarshal.GetReference(parameter);
        ref float g = ref MemoryMarshal.GetReference(gradient);
        ref float b = ref MemoryMarshal.GetReference(buffer);
        for (nuint i = 0; i < (nuint)parameter.Length; i += (nuint)Vector512<float>.Count)
        {
            var pi = Vector512.LoadUnsafe(ref p, i);
            var gi = Vector512.LoadUnsafe(ref g, i);
            if (decay) gi = pi * wd + gi;
            gi = Flush.Below(gi, floor);
            if (withMomentum)
            {
                if (!fresh) gi = Flush.Below(Vector512.LoadUnsafe(ref b, i) * mu + gi, floor);
                gi.StoreUnsafe(ref b, i);
            }
            Flush.Below(gi * minusLr + pi, floor).StoreUnsafe(ref p, i);
        }
    }
}
