using System.Runtime.CompilerServices;

namespace MlNetMnist.Trainers.Engines.Managed;

/// <summary>
/// One Linear layer, stored transposed: row k of <see cref="Weights"/> holds the weights from input k to every
/// output, padded with zeros to <see cref="Width"/> (a whole number of 512-bit vectors).
/// </summary>
internal sealed class ManagedLayer
{
    // SGD's momentum buffer, or Adam's exp_avg and exp_avg_sq; aligned as the weights are, so that no vector straddles
    // two cache lines and threads stepping different rows never share one.
    Memory<float>[]? _weightMoments, _biasMoments;

    public ManagedLayer(float[] weightsOutByIn, float[] biases, int inputs, int outputs, bool withGradients)
    {
        (In, Out) = (inputs, outputs);
        Width = (outputs + Kernels.Lanes - 1) / Kernels.Lanes * Kernels.Lanes;
        Weights = AlignedMemory.Floats(In * Width);
        var w = Weights.Span;
        for (int o = 0; o < Out; o++)
            for (int k = 0; k < In; k++)
                w[k * Width + o] = weightsOutByIn[o * In + k];
        Biases = AlignedMemory.Floats(Width);
        biases.CopyTo(Biases);
        Flush.Below(Weights.Span, Flush.SmallestNormal);
        Flush.Below(Biases.Span, Flush.SmallestNormal);
        InWidth = (inputs + Kernels.Lanes - 1) / Kernels.Lanes * Kernels.Lanes;
        Transposed = AlignedMemory.Floats(Out * InWidth);
        if (withGradients) EnsureGradients();
    }

    public int In { get; }

    public int Out { get; }

    public int Width { get; }

    /// <summary><see cref="In"/> padded to whole vectors: the width of the layer below.</summary>
    public int InWidth { get; }

    /// <summary>[Out x InWidth]: the weights the other way round, for the gradient below; see <see cref="Transpose"/>.</summary>
    public Memory<float> Transposed { get; }

    /// <summary>Brings <see cref="Transposed"/> up to date with the weights (a few hundred values for an upper layer).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // every step
    public void Transpose()
    {
        var w = Weights.Span;
        var t = Transposed.Span;
        for (int k = 0; k < In; k++)
            for (int o = 0; o < Out; o++)
                t[o * InWidth + k] = w[k * Width + o];
    }

    public Memory<float> Weights { get; }

    public Memory<float> Biases { get; }

    /// <summary>
    /// Except for plain SGD, in a batch split between threads by rows: the sum of their gradients, which the optimizer's
    /// <see cref="Step"/> reads (a smaller batch sums and steps a few rows at a time, see ManagedMlp.GradientAndStep).
    /// </summary>
    public Memory<float> WeightGradient { get; private set; }

    public Memory<float> BiasGradient { get; private set; }

    Memory<float>[] _weightShares = [], _biasShares = [];

    /// <summary>A weight and a bias gradient buffer for each member of a team of <paramref name="members"/> (none for one).</summary>
    public void MakeShares(int members)
    {
        if (members < 2) return;
        _weightShares = Enumerable.Range(0, members).Select(_ => AlignedMemory.Floats(Weights.Length)).ToArray();
        _biasShares = Enumerable.Range(0, members).Select(_ => AlignedMemory.Floats(Width)).ToArray();
    }

    /// <summary>Member <paramref name="member"/>'s gradient buffers: its rows' share of the batch's weight and bias gradients.</summary>
    public (Memory<float> Weights, Memory<float> Biases) Share(int member) => (_weightShares[member], _biasShares[member]);

    /// <summary>
    /// Adds every member's share of weight rows [<paramref name="from"/>, <paramref name="to"/>) into the weights
    /// (<paramref name="toWeights"/>) or writes their sum to the gradients, and zeroes the shares; the biases
    /// too with <paramref name="withBiases"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void AddShares(int from, int to, bool toWeights, bool withBiases)
    {
        Kernels.AddShares(toWeights ? Weights.Span : WeightGradient.Span, _weightShares, from * Width, to * Width, toWeights);
        if (withBiases) Kernels.AddShares(toWeights ? Biases.Span : BiasGradient.Span, _biasShares, 0, Width, toWeights);
    }

    /// <summary>
    /// Allocates the optimizer's buffers this step needs (before the step, which may run on several threads); true
    /// when SGD's momentum buffer is new, so that this step starts it from the gradient as torch does.
    /// </summary>
    public bool EnsureMoments(MlpOptimizer optimizer, float momentum)
    {
        if (_weightMoments is not null) return false;
        if (optimizer.IsAdam)
        {
            (_weightMoments, _biasMoments) = (Buffers(2, Weights.Length), Buffers(2, Width));
            return false;
        }
        if (momentum == 0) return false;
        (_weightMoments, _biasMoments) = (Buffers(1, Weights.Length), Buffers(1, Width));
        return true;
    }

    /// <summary>
    /// The optimizer's step at this step's rate and momentum (β1 for Adam) over weight rows [<paramref name="from"/>,
    /// <paramref name="to"/>), from <paramref name="gradient"/> (those rows' gradient; empty: the layer's own) and,
    /// with <paramref name="withBiases"/>, over the biases: torch.optim.SGD's (weight decay, momentum, p -= lr · g) or
    /// Adam's and AdamW's (<see cref="OptimizerKernels.AdamStep"/>); <paramref name="step"/> counts from 1. Element by
    /// element, so any split of the rows gives the same values.
    /// </summary>
    public void Step(MlpOptimizer optimizer, float learningRate, float momentum, long step, int from, int to, bool withBiases, bool freshMomentum,
        Span<float> gradient = default)
    {
        var (f, n) = (from * Width, (to - from) * Width);
        if (gradient.IsEmpty) gradient = WeightGradient.Span.Slice(f, n);
        if (optimizer.IsAdam)
        {
            var adam = new OptimizerKernels.AdamStep(optimizer, learningRate, momentum, step);
            adam.Apply(Weights.Span.Slice(f, n), gradient[..n], _weightMoments![0].Span.Slice(f, n), _weightMoments[1].Span.Slice(f, n));
            if (withBiases) adam.Apply(Biases.Span, BiasGradient.Span, _biasMoments![0].Span, _biasMoments[1].Span);
            return;
        }
        OptimizerKernels.Sgd(Weights.Span.Slice(f, n), gradient[..n], momentum == 0 ? default : _weightMoments![0].Span.Slice(f, n), learningRate,
            momentum, optimizer.WeightDecay, freshMomentum);
        if (withBiases)
            OptimizerKernels.Sgd(Biases.Span, BiasGradient.Span, momentum == 0 ? default : _biasMoments![0].Span, learningRate, momentum,
                optimizer.WeightDecay, freshMomentum);
    }

    /// <summary>Whether the optimizer holds buffers for this layer (after a step with momentum, or any Adam step).</summary>
    public bool HasMoments => _weightMoments is not null;

    /// <summary>Buffer <paramref name="moment"/> of the weights as [out x in] and of the biases, as torch holds them.</summary>
    public (float[] Weights, float[] Biases) ExportMoment(int moment) =>
        (OutByIn(_weightMoments![moment].Span), _biasMoments![moment].Span[..Out].ToArray());

    /// <summary>Sets the optimizer's buffers from <see cref="ExportMoment"/>'s layout, one (weights, biases) pair per moment; subnormals become 0.</summary>
    public void ImportMoments(IReadOnlyList<(float[] Weights, float[] Biases)> moments)
    {
        (_weightMoments, _biasMoments) = (Buffers(moments.Count, Weights.Length), Buffers(moments.Count, Width));
        for (int m = 0; m < moments.Count; m++)
        {
            var weights = _weightMoments[m].Span;
            for (int o = 0; o < Out; o++)
                for (int k = 0; k < In; k++)
                    weights[k * Width + o] = moments[m].Weights[o * In + k];
            moments[m].Biases.CopyTo(_biasMoments[m].Span);
            // Subnormals count as 0 here too (another engine's buffers may hold them); this engine's own hold none.
            Flush.Below(weights, Flush.SmallestNormal);
            Flush.Below(_biasMoments[m].Span, Flush.SmallestNormal);
        }
    }

    /// <summary>Allocates the gradient buffers that a step other than plain SGD reads (plain SGD adds straight into the weights).</summary>
    public void EnsureGradients()
    {
        if (WeightGradient.IsEmpty)
        {
            WeightGradient = AlignedMemory.Floats(Weights.Length);
            BiasGradient = AlignedMemory.Floats(Width);
        }
    }

    static Memory<float>[] Buffers(int count, int length) => Enumerable.Range(0, count).Select(_ => AlignedMemory.Floats(length)).ToArray();

    public float[] WeightsOutByIn() => OutByIn(Weights.Span);

    /// <summary>A [In x Width] array of this layer's as [Out x In], PyTorch's layout.</summary>
    float[] OutByIn(ReadOnlySpan<float> w)
    {
        var weights = new float[Out * In];
        for (int o = 0; o < Out; o++)
            for (int k = 0; k < In; k++)
                weights[o * In + k] = w[k * Width + o];
        return weights;
    }
}
