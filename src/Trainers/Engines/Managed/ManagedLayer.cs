using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace MlNetMnist.Trainers.Engines.Managed;

/// <summary>
/// One Linear layer, stored transposed: row k of <see cref="Weights"/> holds the weights from input k to every
/// output, padded with zeros to <see cref="Width"/> (a whole number of 512-bit vectors).
/// </summary>
internal sealed class ManagedLayer
{
    float[]? _weightMomentum, _biasMomentum;

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
        InWidth = (inputs + Kernels.Lanes - 1) / Kernels.Lanes * Kernels.Lanes;
        Transposed = AlignedMemory.Floats(Out * InWidth);
        if (withGradients)
        {
            WeightGradient = AlignedMemory.Floats(Weights.Length);
            BiasGradient = AlignedMemory.Floats(Width);
        }
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

    /// <summary>With momentum or weight decay only: the batch's gradient, stepped as torch.optim.SGD does.</summary>
    public Memory<float> WeightGradient { get; }

    public Memory<float> BiasGradient { get; }

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

    public void ClearGradients()
    {
        WeightGradient.Span.Clear();
        BiasGradient.Span.Clear();
    }

    /// <summary>torch.optim.SGD's step from the gradients: weight decay, momentum (first buffer = first gradient), p -= lr · g.</summary>
    public void Step(float learningRate, float momentum, float weightDecay)
    {
        Step(Weights.Span, WeightGradient.Span, ref _weightMomentum, learningRate, momentum, weightDecay);
        Step(Biases.Span, BiasGradient.Span, ref _biasMomentum, learningRate, momentum, weightDecay);
    }

    static void Step(Span<float> parameter, Span<float> gradient, ref float[]? buffer, float learningRate, float momentum, float weightDecay)
    {
        if (weightDecay != 0) TensorPrimitives.MultiplyAdd(parameter, weightDecay, gradient, gradient);
        if (momentum != 0)
        {
            if (buffer is null) buffer = gradient.ToArray();
            else TensorPrimitives.MultiplyAdd(buffer, momentum, gradient, buffer);
            gradient = buffer;
        }
        TensorPrimitives.MultiplyAdd(gradient, -learningRate, parameter, parameter);
    }

    public float[] WeightsOutByIn()
    {
        var w = Weights.Span;
        var weights = new float[Out * In];
        for (int o = 0; o < Out; o++)
            for (int k = 0; k < In; k++)
                weights[o * In + k] = w[k * Width + o];
        return weights;
    }
}
