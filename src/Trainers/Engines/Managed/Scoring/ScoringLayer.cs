using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MlNetMnist.Trainers.Engines.Managed;

/// <summary>
/// One Linear layer laid out for scoring a row. A row is scored as output[j] = bias[j], then for every input k in
/// ascending order output[j] = fma(x[k], W[j, k], output[j]), sixteen outputs at a time. Inputs that are 0 are
/// skipped: fma(0, w, s) is s for finite w, so skipping them changes no bit, and a row costs what it holds
/// (an MNIST digit has about 150 nonzero pixels of 784, a ReLU layer about half its units). Subnormal inputs, weights
/// and biases (magnitude below 2^-126) count as 0, as a CPU's denormals-are-zero mode would have them: many x86
/// cores multiply a subnormal through a slow microcode assist.
/// <para>
/// The weights are transposed, input k's weights to the outputs side by side, in two blocks. The outputs that fill
/// whole 512-bit vectors (48 of 50) sit in rows of whole cache lines, aligned to them, so an input costs exactly its
/// lines. The rest (2 of 50) sit packed in a small block of their own that stays in the L1 cache. The first layer is
/// bound by reading its weights, so an input reads only the lines that hold its weights (three, not five for 64
/// outputs padded and unaligned).
/// </para>
/// </summary>
internal sealed class ScoringLayer
{
    const int Lanes = 16;     // floats in a 512-bit vector
    const int LineFloats = 16; // floats in a 64-byte cache line

    readonly float[] _main;   // pinned; from _mainAt, aligned: [In x Main], row k = input k's weights to outputs 0..Main-1
    readonly int _mainAt;
    readonly float[] _tail;   // [In x Tail + Lanes]: row k = input k's weights to outputs Main..Out-1; a vector read runs on into the next row
    readonly float[] _biases; // [Main + Lanes]

    public ScoringLayer(float[] weightsOutByIn, float[] biases, int inputs, int outputs)
    {
        (In, Out) = (inputs, outputs);
        Main = outputs / Lanes * Lanes;
        Tail = outputs - Main;
        // The pinned heap never moves an array, so an offset that aligns it once aligns it for good.
        _main = GC.AllocateArray<float>(In * Main + LineFloats, pinned: true);
        _mainAt = AlignedOffset(_main);
        _tail = new float[In * Tail + Lanes];
        for (int k = 0; k < In; k++)
        {
            for (int o = 0; o < Main; o++) _main[_mainAt + k * Main + o] = weightsOutByIn[o * In + k];
            for (int o = Main; o < Out; o++) _tail[k * Tail + o - Main] = weightsOutByIn[o * In + k];
        }
        _biases = new float[Main + Lanes];
        biases.CopyTo(_biases, 0);
        Flush.Below(_main, Flush.SmallestNormal);
        Flush.Below(_tail, Flush.SmallestNormal);
        Flush.Below(_biases, Flush.SmallestNormal);
    }

    public int In { get; }

    public int Out { get; }

    /// <summary>Outputs in whole vectors.</summary>
    int Main { get; }

    /// <summary>Outputs after them, fewer than a vector.</summary>
    int Tail { get; }

    /// <summary>The room <see cref="Forward"/> writes: <see cref="Out"/> rounded up to whole vectors. Past Out it writes scratch.</summary>
    public int Width => Main + (Tail > 0 ? Lanes : 0);

    /// <summary>
    /// output[0..Out) = bias + Σ over the input's nonzero entries, in ascending position, of input[k] · W[:, k] (one fma
    /// each), ReLU'd when asked. <paramref name="nonzero"/> lists those positions, as <see cref="FindNonzero"/> gives them.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Forward(ReadOnlySpan<float> input, ReadOnlySpan<int> nonzero, Span<float> output, bool relu)
    {
        if (input.Length != In || output.Length < Width)
            throw new ArgumentException($"Forward takes {In} inputs and room for {Width} outputs; got {input.Length} and {output.Length}.");
        int count = nonzero.Length;
        ref float main = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_main), _mainAt);
        ref float bias = ref MemoryMarshal.GetArrayDataReference(_biases);
        ref float o = ref MemoryMarshal.GetReference(output);
        ref int at = ref MemoryMarshal.GetReference(nonzero);
        ref float x = ref MemoryMarshal.GetReference(input);
        int c = 0;
        // Four vectors of outputs a pass: four independent fma chains hide each fma's latency.
        for (; c <= Main - 4 * Lanes; c += 4 * Lanes)
        {
            var a0 = Vector512.LoadUnsafe(ref bias, (nuint)c);
            var a1 = Vector512.LoadUnsafe(ref bias, (nuint)(c + Lanes));
            var a2 = Vector512.LoadUnsafe(ref bias, (nuint)(c + 2 * Lanes));
            var a3 = Vector512.LoadUnsafe(ref bias, (nuint)(c + 3 * Lanes));
            for (int t = 0; t < count; t++)
            {
                int k = Unsafe.Add(ref at, t);
                var xk = Vector512.Create(Unsafe.Add(ref x, k));
                ref float row = ref Unsafe.Add(ref main, k * Main + c);
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
        if (c < Main || Tail > 0) LastPass(ref main, ref at, ref x, count, c, ref o, relu);
    }

    /// <summary>
    /// The up to three whole vectors left from column <paramref name="c"/> and the tail, in one pass over the inputs. A
    /// vector that does not exist reads and adds a row it then drops, which costs less than a pass of its own.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void LastPass(ref float main, ref int at, ref float x, int count, int c, ref float o, bool relu)
    {
        int vectors = (Main - c) / Lanes; // 0 to 3
        // Absent vectors read row 0 of the tail block at stride 0.
        ref float tail = ref MemoryMarshal.GetArrayDataReference(_tail);
        ref float v1 = ref vectors > 1 ? ref Unsafe.Add(ref main, c + Lanes) : ref tail;
        ref float v2 = ref vectors > 2 ? ref Unsafe.Add(ref main, c + 2 * Lanes) : ref tail;
        ref float v0 = ref vectors > 0 ? ref Unsafe.Add(ref main, c) : ref tail;
        int s0 = vectors > 0 ? Main : 0, s1 = vectors > 1 ? Main : 0, s2 = vectors > 2 ? Main : 0;
        ref float bias = ref MemoryMarshal.GetArrayDataReference(_biases);
        var a0 = Vector512.LoadUnsafe(ref bias, (nuint)c);
        var a1 = Vector512.LoadUnsafe(ref bias, (nuint)Math.Min(c + Lanes, Main));
        var a2 = Vector512.LoadUnsafe(ref bias, (nuint)Math.Min(c + 2 * Lanes, Main));
        var a3 = Vector512.LoadUnsafe(ref bias, (nuint)Main);
        for (int t = 0; t < count; t++)
        {
            int k = Unsafe.Add(ref at, t);
            var xk = Vector512.Create(Unsafe.Add(ref x, k));
            a0 = Vector512.FusedMultiplyAdd(xk, Vector512.LoadUnsafe(ref v0, (nuint)(k * s0)), a0);
            a1 = Vector512.FusedMultiplyAdd(xk, Vector512.LoadUnsafe(ref v1, (nuint)(k * s1)), a1);
            a2 = Vector512.FusedMultiplyAdd(xk, Vector512.LoadUnsafe(ref v2, (nuint)(k * s2)), a2);
            a3 = Vector512.FusedMultiplyAdd(xk, Vector512.LoadUnsafe(ref tail, (nuint)(k * Tail)), a3);
        }
        if (vectors > 0) Store(a0, ref o, c, relu);
        if (vectors > 1) Store(a1, ref o, c + Lanes, relu);
        if (vectors > 2) Store(a2, ref o, c + 2 * Lanes, relu);
        if (Tail > 0) Store(a3, ref o, Main, relu);
    }

    /// <summary>
    /// The positions of <paramref name="values"/> that are neither 0 nor subnormal, ascending, into <paramref name="positions"/> (room for
    /// values.Length + 16), and whether every value is finite, in one pass: sixteen at a time with AVX-512 compress, or
    /// eight with AVX2 permutations (<see cref="SparseFeatures.Compress256"/>'s). NaN and infinities are not 0, so a
    /// row holding one is found whole and refused by the caller, never half-scored.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int FindNonzero(ReadOnlySpan<float> values, Span<int> positions, out bool finite)
    {
        if (positions.Length < values.Length + Lanes)
            throw new ArgumentException($"FindNonzero needs room for {values.Length + Lanes} positions, got {positions.Length}.");
        int count = 0, k = 0;
        ref float source = ref MemoryMarshal.GetReference(values);
        ref int target = ref MemoryMarshal.GetReference(positions);
        // Lanes set once a value is NaN or infinite: x - x is NaN for those, 0 for the rest.
        if (Avx512F.IsSupported)
        {
            var notFinite = Vector512<int>.Zero;
            var smallestNormal = Vector512.Create(Flush.SmallestNormal);
            for (; k <= values.Length - Lanes; k += Lanes)
            {
                var chunk = Vector512.LoadUnsafe(ref source, (nuint)k);
                notFinite |= Vector512.IsNaN(chunk - chunk).AsInt32();
                var nonzero = ~Vector512.LessThan(Vector512.Abs(chunk), smallestNormal);
                Avx512F.Compress(Vector512<int>.Zero, nonzero.AsInt32(), Vector512<int>.Indices + Vector512.Create(k))
                    .StoreUnsafe(ref target, (nuint)count);
                count += BitOperations.PopCount(nonzero.ExtractMostSignificantBits());
            }
            finite = notFinite == Vector512<int>.Zero;
        }
        else if (Avx2.IsSupported)
        {
            var notFinite = Vector256<int>.Zero;
            var smallestNormal = Vector256.Create(Flush.SmallestNormal);
            ref int permutations = ref MemoryMarshal.GetArrayDataReference(SparseFeatures.FrontPermutations);
            for (; k <= values.Length - 8; k += 8)
            {
                var chunk = Vector256.LoadUnsafe(ref source, (nuint)k);
                notFinite |= Vector256.IsNaN(chunk - chunk).AsInt32();
                uint mask = (~Vector256.LessThan(Vector256.Abs(chunk), smallestNormal)).ExtractMostSignificantBits();
                Avx2.PermuteVar8x32(Vector256<int>.Indices + Vector256.Create(k), Vector256.LoadUnsafe(ref permutations, mask * 8))
                    .StoreUnsafe(ref target, (nuint)count);
                count += BitOperations.PopCount(mask);
            }
            finite = notFinite == Vector256<int>.Zero;
        }
        else finite = true;
        for (; k < values.Length; k++)
        {
            float v = values[k];
            if (!float.IsFinite(v)) finite = false;
            if (!(MathF.Abs(v) < Flush.SmallestNormal)) positions[count++] = k;
        }
        return count;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Store(Vector512<float> value, ref float output, int at, bool relu) =>
        (relu ? Vector512.Max(value, Vector512<float>.Zero) : value).StoreUnsafe(ref output, (nuint)at);

    static unsafe int AlignedOffset(float[] pinned)
    {
        long address = (long)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned));
        return (int)((64 - (address & 63)) & 63) / sizeof(float);
    }
}
