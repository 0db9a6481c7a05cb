using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using MlNetMnist.DataViews;

namespace MlNetMnist.Trainers.Models;

/// <summary>
/// One Linear layer laid out for scoring a row: the weights transposed, row k holding input k's weights to every
/// output, padded to whole 512-bit vectors. A row is scored as output[j] = bias[j], then for every input k in
/// ascending order output[j] = fma(x[k], W[j, k], output[j]), sixteen outputs at a time. Inputs that are 0 are
/// skipped: fma(0, w, s) is s for finite w, so skipping them changes no bit, and a row costs what it holds
/// (an MNIST digit has about 150 nonzero pixels of 784, a ReLU layer about half its units).
/// </summary>
internal sealed class ScoringLayer
{
    const int Lanes = 16; // floats in a 512-bit vector

    readonly float[] _weights; // [In x Width]: row k = input k's weights to outputs 0..Out-1, then zeros
    readonly float[] _biases;  // [Width]

    public ScoringLayer(float[] weightsOutByIn, float[] biases, int inputs, int outputs)
    {
        (In, Out, Width) = (inputs, outputs, (outputs + Lanes - 1) / Lanes * Lanes);
        _weights = new float[In * Width];
        for (int o = 0; o < Out; o++)
            for (int k = 0; k < In; k++)
                _weights[k * Width + o] = weightsOutByIn[o * In + k];
        _biases = new float[Width];
        biases.CopyTo(_biases, 0);
    }

    public int In { get; }

    public int Out { get; }

    /// <summary><see cref="Out"/> padded to whole vectors: the room <see cref="Forward"/> writes.</summary>
    public int Width { get; }

    /// <summary>
    /// output[0..Width) = bias + Σ over ascending nonzero k of x[k] · W[:, k] (one fma each), ReLU'd when asked.
    /// <paramref name="nonzero"/> and <paramref name="kept"/> need room for <see cref="In"/> + 16 entries: the input's
    /// nonzero positions and values, found sixteen at a time (<see cref="SparseFeatures.Compress"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Forward(ReadOnlySpan<float> input, Span<float> output, Span<int> nonzero, Span<float> kept, bool relu)
    {
        int count = SparseFeatures.Compress(input, nonzero, kept);
        ref float w = ref MemoryMarshal.GetArrayDataReference(_weights);
        ref float o = ref MemoryMarshal.GetReference(output);
        ref float x = ref MemoryMarshal.GetReference(kept);
        int c = 0;
        for (; c <= Width - 4 * Lanes; c += 4 * Lanes)
        {
            var a0 = Vector512.LoadUnsafe(ref _biases[0], (nuint)c);
            var a1 = Vector512.LoadUnsafe(ref _biases[0], (nuint)(c + Lanes));
            var a2 = Vector512.LoadUnsafe(ref _biases[0], (nuint)(c + 2 * Lanes));
            var a3 = Vector512.LoadUnsafe(ref _biases[0], (nuint)(c + 3 * Lanes));
            for (int t = 0; t < count; t++)
            {
                int k = nonzero[t];
                var xk = Vector512.Create(Unsafe.Add(ref x, t));
                ref float row = ref Unsafe.Add(ref w, k * Width + c);
                a0 = Vector512.FusedMultiplyAdd(xk, Vector512.LoadUnsafe(ref row), a0);
                a1 = Vector512.FusedMultiplyAdd(xk, Vector512.LoadUnsafe(ref row, Lanes), a1);
                a2 = Vector512.FusedMultiplyAdd(xk, Vector512.LoadUnsafe(ref row, 2 * Lanes), a2);
                a3 = Vector512.FusedMultiplyAdd(xk, Vector512.LoadUnsafe(ref row, 3 * Lanes), a3);
            }
            Store(a0, ref o, c, relu);
            Store(a1, ref o, c + Lanes, relu);
            Store(a2, ref o, c + 2 * Lanes, relu);
            Store(a3, ref o, c + 3 * Lanes, relu);
        }
        for (; c < Width; c += Lanes)
        {
            var a = Vector512.LoadUnsafe(ref _biases[0], (nuint)c);
            for (int t = 0; t < count; t++)
            {
                int k = nonzero[t];
                a = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref x, t)), Vector512.LoadUnsafe(ref w, (nuint)(k * Width + c)), a);
            }
            Store(a, ref o, c, relu);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store(Vector512<float> value, ref float output, int at, bool relu) =>
        (relu ? Vector512.Max(value, Vector512<float>.Zero) : value).StoreUnsafe(ref output, (nuint)at);
}
