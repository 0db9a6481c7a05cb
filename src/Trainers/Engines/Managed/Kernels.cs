using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace MlNetMnist.Trainers.Engines.Managed;

/// <summary>
/// The kernels of <see cref="ManagedMlp"/>, on 512-bit vectors where the CPU has AVX-512; elsewhere .NET emulates
/// them as two 256-bit halves, so the hot kernels (the forward, the weight gradient, the softmax) have 256-bit forms
/// beside them, picked by <c>Vector512.IsHardwareAccelerated</c>, a constant to the JIT. A layer's weights are [in x width] row-major, width a whole number of vectors and rows 64-byte
/// aligned, so that one input's weights to every output are a few whole cache lines (no load straddles two);
/// inputs come as <see cref="SparseRows"/>, and only their nonzero values are
/// multiplied. The two big products walk the weights one block of rows at a time, a block
/// small enough to stay in a core's L1 data cache while every row of the batch uses it (a whole first layer of
/// 784 x 64 floats would not).
/// </summary>
internal static class Kernels
{
    /// <summary>How many of a 64-column chunk's 8-column vectors a 256-bit kernel handles: <see cref="Eight"/> or <see cref="Seven"/>.</summary>
    internal interface IVectorCount;

    internal struct Eight : IVectorCount;

    internal struct Seven : IVectorCount;

    /// <summary>Columns handled together: four vectors held in registers.</summary>
    const int Chunk = 64;

    /// <summary>Weight rows per block: 128 x 64 floats, 32 KB, which the L1 data cache of current x86 cores (32 to 48 KB) holds.</summary>
    public const int BlockRows = 128;

    public static int Lanes => Vector512<float>.Count;

    /// <summary>
    /// outputs[r, :] = bias + Σ over row r's nonzero inputs x[k] · weights[k, :], for rows [<paramref name="from"/>,
    /// <paramref name="to"/>); with <paramref name="first"/> and <paramref name="last"/>, over the inputs k in
    /// [first, last) only, and without the bias unless <paramref name="first"/> is 0: one member's part of the sum.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(ManagedLayer layer, SparseRows inputs, int from, int to, Span<float> outputs, int first = 0, int last = int.MaxValue)
    {
        int width = layer.Width, c = 0;
        last = Math.Min(last, layer.In);
        for (int r = from; r < to; r++)
            if (first == 0) layer.Biases.Span.CopyTo(outputs.Slice(r * width, width));
            else outputs.Slice(r * width, width).Clear();
        ref float w = ref MemoryMarshal.GetReference(layer.Weights.Span);
        ref float o = ref MemoryMarshal.GetReference(outputs);
        int firstBlock = first / BlockRows, lastBlock = (last + BlockRows - 1) / BlockRows;
        for (; c <= width - Chunk; c += Chunk)
            for (int b = firstBlock; b < lastBlock; b++)
            {
                int blockFirst = b * BlockRows, blockLast = blockFirst + BlockRows;
                if (first <= blockFirst && Math.Min(blockLast, layer.In) <= last) // a whole block: where it starts is kept
                    for (int r = from; r < to; r++)
                    {
                        var (positions, values) = inputs.Block(r, b);
                        if (positions.Length > 0) Accumulate(ref Unsafe.Add(ref o, r * width + c), ref Unsafe.Add(ref w, c), width, positions, values);
                    }
                else
                    for (int r = from; r < to; r++)
                    {
                        var (positions, values) = inputs.Range(r, Math.Max(first, blockFirst), Math.Min(last, blockLast));
                        if (positions.Length > 0) Accumulate(ref Unsafe.Add(ref o, r * width + c), ref Unsafe.Add(ref w, c), width, positions, values);
                    }
            }
        // Narrow remainders (10 classes: one vector) are small: one vector at a time, unblocked, four rows side by side.
        for (; c < width; c += Lanes)
        {
            int r = from;
            for (; r + 4 <= to; r += 4)
                if (Vector512.IsHardwareAccelerated) AccumulateFourRows(ref Unsafe.Add(ref o, r * width + c), ref Unsafe.Add(ref w, c), width, inputs, r, first, last);
                else AccumulateFourRows256(ref Unsafe.Add(ref o, r * width + c), ref Unsafe.Add(ref w, c), width, inputs, r, first, last);
            for (; r < to; r++)
            {
                ref float or = ref Unsafe.Add(ref o, r * width + c);
                var (positions, values) = inputs.Range(r, first, last);
                if (Vector512.IsHardwareAccelerated) Chain(Vector512.LoadUnsafe(ref or), ref Unsafe.Add(ref w, c), width, positions, values, 0).StoreUnsafe(ref or);
                else StoreHalves(Chain256(Vector256.LoadUnsafe(ref or), Vector256.LoadUnsafe(ref or, 8), ref Unsafe.Add(ref w, c), width, positions, values, 0), ref or);
            }
        }
    }

    /// <summary>
    /// One vector of outputs (the narrow remainder) for rows <paramref name="row"/> to row + 3, each row's sum in the
    /// same order as alone (<see cref="Chain"/>), so the same bits, but four FMA chains in flight: one chain waits
    /// for its previous FMA, and a 10-class layer's forward of a 32-row batch was otherwise a serial 12 us a step.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    static void AccumulateFourRows(ref float output, ref float weights, int width, SparseRows inputs, int row, int first, int last)
    {
        var (p0, v0) = inputs.Range(row, first, last);
        var (p1, v1) = inputs.Range(row + 1, first, last);
        var (p2, v2) = inputs.Range(row + 2, first, last);
        var (p3, v3) = inputs.Range(row + 3, first, last);
        ref float o1 = ref Unsafe.Add(ref output, width);
        ref float o2 = ref Unsafe.Add(ref output, 2 * width);
        ref float o3 = ref Unsafe.Add(ref output, 3 * width);
        var (a0, a1, a2, a3) = (Vector512.LoadUnsafe(ref output), Vector512.LoadUnsafe(ref o1), Vector512.LoadUnsafe(ref o2), Vector512.LoadUnsafe(ref o3));
        int common = Math.Min(Math.Min(p0.Length, p1.Length), Math.Min(p2.Length, p3.Length));
        for (int t = 0; t < common; t++)
        {
            a0 = Vector512.FusedMultiplyAdd(Vector512.Create(v0[t]), Vector512.LoadUnsafe(ref weights, (nuint)(p0[t] * width)), a0);
            a1 = Vector512.FusedMultiplyAdd(Vector512.Create(v1[t]), Vector512.LoadUnsafe(ref weights, (nuint)(p1[t] * width)), a1);
            a2 = Vector512.FusedMultiplyAdd(Vector512.Create(v2[t]), Vector512.LoadUnsafe(ref weights, (nuint)(p2[t] * width)), a2);
            a3 = Vector512.FusedMultiplyAdd(Vector512.Create(v3[t]), Vector512.LoadUnsafe(ref weights, (nuint)(p3[t] * width)), a3);
        }
        Chain(a0, ref weights, width, p0, v0, common).StoreUnsafe(ref output);
        Chain(a1, ref weights, width, p1, v1, common).StoreUnsafe(ref o1);
        Chain(a2, ref weights, width, p2, v2, common).StoreUnsafe(ref o2);
        Chain(a3, ref weights, width, p3, v3, common).StoreUnsafe(ref o3);
    }

    /// <summary><paramref name="sum"/> plus values[t] · weights[positions[t] * width ..][0..16) for t from <paramref name="start"/>, in order: one FMA chain.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static Vector512<float> Chain(Vector512<float> sum, ref float weights, int width, ReadOnlySpan<int> positions, ReadOnlySpan<float> values, int start)
    {
        for (int t = start; t < positions.Length; t++)
            sum = Vector512.FusedMultiplyAdd(Vector512.Create(values[t]), Vector512.LoadUnsafe(ref weights, (nuint)(positions[t] * width)), sum);
        return sum;
    }

    /// <summary>
    /// <see cref="AccumulateFourRows"/> on 256-bit vectors, for processors without AVX-512 (an emulated Vector512
    /// calls a function per operation): each 16-column vector as two halves, the same FMAs lane by lane, so the same bits.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    internal static void AccumulateFourRows256(ref float output, ref float weights, int width, SparseRows inputs, int row, int first, int last)
    {
        var (p0, v0) = inputs.Range(row, first, last);
        var (p1, v1) = inputs.Range(row + 1, first, last);
        var (p2, v2) = inputs.Range(row + 2, first, last);
        var (p3, v3) = inputs.Range(row + 3, first, last);
        ref float o1 = ref Unsafe.Add(ref output, width);
        ref float o2 = ref Unsafe.Add(ref output, 2 * width);
        ref float o3 = ref Unsafe.Add(ref output, 3 * width);
        var (a0, b0, a1, b1) = (Vector256.LoadUnsafe(ref output), Vector256.LoadUnsafe(ref output, 8), Vector256.LoadUnsafe(ref o1), Vector256.LoadUnsafe(ref o1, 8));
        var (a2, b2, a3, b3) = (Vector256.LoadUnsafe(ref o2), Vector256.LoadUnsafe(ref o2, 8), Vector256.LoadUnsafe(ref o3), Vector256.LoadUnsafe(ref o3, 8));
        int common = Math.Min(Math.Min(p0.Length, p1.Length), Math.Min(p2.Length, p3.Length));
        for (int t = 0; t < common; t++)
        {
            var (x0, x1, x2, x3) = (Vector256.Create(v0[t]), Vector256.Create(v1[t]), Vector256.Create(v2[t]), Vector256.Create(v3[t]));
            ref float w0 = ref Unsafe.Add(ref weights, p0[t] * width);
            ref float w1 = ref Unsafe.Add(ref weights, p1[t] * width);
            ref float w2 = ref Unsafe.Add(ref weights, p2[t] * width);
            ref float w3 = ref Unsafe.Add(ref weights, p3[t] * width);
            a0 = Vector256.FusedMultiplyAdd(x0, Vector256.LoadUnsafe(ref w0), a0);
            b0 = Vector256.FusedMultiplyAdd(x0, Vector256.LoadUnsafe(ref w0, 8), b0);
            a1 = Vector256.FusedMultiplyAdd(x1, Vector256.LoadUnsafe(ref w1), a1);
            b1 = Vector256.FusedMultiplyAdd(x1, Vector256.LoadUnsafe(ref w1, 8), b1);
            a2 = Vector256.FusedMultiplyAdd(x2, Vector256.LoadUnsafe(ref w2), a2);
            b2 = Vector256.FusedMultiplyAdd(x2, Vector256.LoadUnsafe(ref w2, 8), b2);
            a3 = Vector256.FusedMultiplyAdd(x3, Vector256.LoadUnsafe(ref w3), a3);
            b3 = Vector256.FusedMultiplyAdd(x3, Vector256.LoadUnsafe(ref w3, 8), b3);
        }
        StoreHalves(Chain256(a0, b0, ref weights, width, p0, v0, common), ref output);
        StoreHalves(Chain256(a1, b1, ref weights, width, p1, v1, common), ref o1);
        StoreHalves(Chain256(a2, b2, ref weights, width, p2, v2, common), ref o2);
        StoreHalves(Chain256(a3, b3, ref weights, width, p3, v3, common), ref o3);
    }

    /// <summary>A 16-column vector kept as two 256-bit halves, stored at <paramref name="output"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void StoreHalves((Vector256<float> Low, Vector256<float> High) sum, ref float output)
    {
        sum.Low.StoreUnsafe(ref output);
        sum.High.StoreUnsafe(ref output, 8);
    }

    /// <summary><see cref="Chain"/> on a 16-column vector's two 256-bit halves.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static (Vector256<float> Low, Vector256<float> High) Chain256(Vector256<float> low, Vector256<float> high, ref float weights, int width,
        ReadOnlySpan<int> positions, ReadOnlySpan<float> values, int start)
    {
        for (int t = start; t < positions.Length; t++)
        {
            var x = Vector256.Create(values[t]);
            ref float wt = ref Unsafe.Add(ref weights, positions[t] * width);
            low = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref wt), low);
            high = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref wt, 8), high);
        }
        return (low, high);
    }

    /// <summary>
    /// output[0..64) += Σ over t of values[t] · weights[positions[t] * width ..][0..64), in registers: on AVX-512 even
    /// and odd t in separate accumulators, eight independent FMA chains, since one chain waits for its previous FMA.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Accumulate(ref float output, ref float weights, int width, ReadOnlySpan<int> positions, ReadOnlySpan<float> values)
    {
        if (Vector512.IsHardwareAccelerated) Accumulate512(ref output, ref weights, width, positions, values);
        else Accumulate256(ref output, ref weights, width, positions, values);
    }

    /// <summary><see cref="Accumulate"/> on AVX-512.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    static void Accumulate512(ref float output, ref float weights, int width, ReadOnlySpan<int> positions, ReadOnlySpan<float> values)
    {
        var a0 = Vector512.LoadUnsafe(ref output);
        var a1 = Vector512.LoadUnsafe(ref output, 16);
        var a2 = Vector512.LoadUnsafe(ref output, 32);
        var a3 = Vector512.LoadUnsafe(ref output, 48);
        Vector512<float> b0 = default, b1 = default, b2 = default, b3 = default;
        ref int p = ref MemoryMarshal.GetReference(positions);
        ref float v = ref MemoryMarshal.GetReference(values);
        int t = 0, n = positions.Length;
        for (; t + 1 < n; t += 2)
        {
            var x = Vector512.Create(Unsafe.Add(ref v, t));
            var y = Vector512.Create(Unsafe.Add(ref v, t + 1));
            ref float wx = ref Unsafe.Add(ref weights, Unsafe.Add(ref p, t) * width);
            ref float wy = ref Unsafe.Add(ref weights, Unsafe.Add(ref p, t + 1) * width);
            a0 = Vector512.FusedMultiplyAdd(x, Vector512.LoadUnsafe(ref wx), a0);
            a1 = Vector512.FusedMultiplyAdd(x, Vector512.LoadUnsafe(ref wx, 16), a1);
            a2 = Vector512.FusedMultiplyAdd(x, Vector512.LoadUnsafe(ref wx, 32), a2);
            a3 = Vector512.FusedMultiplyAdd(x, Vector512.LoadUnsafe(ref wx, 48), a3);
            b0 = Vector512.FusedMultiplyAdd(y, Vector512.LoadUnsafe(ref wy), b0);
            b1 = Vector512.FusedMultiplyAdd(y, Vector512.LoadUnsafe(ref wy, 16), b1);
            b2 = Vector512.FusedMultiplyAdd(y, Vector512.LoadUnsafe(ref wy, 32), b2);
            b3 = Vector512.FusedMultiplyAdd(y, Vector512.LoadUnsafe(ref wy, 48), b3);
        }
        if (t < n)
        {
            var x = Vector512.Create(Unsafe.Add(ref v, t));
            ref float wx = ref Unsafe.Add(ref weights, Unsafe.Add(ref p, t) * width);
            a0 = Vector512.FusedMultiplyAdd(x, Vector512.LoadUnsafe(ref wx), a0);
            a1 = Vector512.FusedMultiplyAdd(x, Vector512.LoadUnsafe(ref wx, 16), a1);
            a2 = Vector512.FusedMultiplyAdd(x, Vector512.LoadUnsafe(ref wx, 32), a2);
            a3 = Vector512.FusedMultiplyAdd(x, Vector512.LoadUnsafe(ref wx, 48), a3);
        }
        (a0 + b0).StoreUnsafe(ref output);
        (a1 + b1).StoreUnsafe(ref output, 16);
        (a2 + b2).StoreUnsafe(ref output, 32);
        (a3 + b3).StoreUnsafe(ref output, 48);
    }

    /// <summary>
    /// <see cref="Accumulate"/> on 256-bit vectors, for processors without AVX-512. .NET runs a Vector512 there as two
    /// 256-bit halves, and Accumulate's eight accumulators, sixteen halves, fill AVX2's sixteen registers: every
    /// iteration spilled to the stack and read back, twice as slow. Here eight accumulators, one per 8 columns, are
    /// eight independent FMA chains, and the rest fits in registers. The same sums as Accumulate's, in another order.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    internal static void Accumulate256(ref float output, ref float weights, int width, ReadOnlySpan<int> positions, ReadOnlySpan<float> values)
    {
        var a0 = Vector256.LoadUnsafe(ref output);
        var a1 = Vector256.LoadUnsafe(ref output, 8);
        var a2 = Vector256.LoadUnsafe(ref output, 16);
        var a3 = Vector256.LoadUnsafe(ref output, 24);
        var a4 = Vector256.LoadUnsafe(ref output, 32);
        var a5 = Vector256.LoadUnsafe(ref output, 40);
        var a6 = Vector256.LoadUnsafe(ref output, 48);
        var a7 = Vector256.LoadUnsafe(ref output, 56);
        ref int p = ref MemoryMarshal.GetReference(positions);
        ref float v = ref MemoryMarshal.GetReference(values);
        for (int t = 0; t < positions.Length; t++)
        {
            var x = Vector256.Create(Unsafe.Add(ref v, t));
            ref float w = ref Unsafe.Add(ref weights, Unsafe.Add(ref p, t) * width);
            a0 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref w), a0);
            a1 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref w, 8), a1);
            a2 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref w, 16), a2);
            a3 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref w, 24), a3);
            a4 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref w, 32), a4);
            a5 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref w, 40), a5);
            a6 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref w, 48), a6);
            a7 = Vector256.FusedMultiplyAdd(x, Vector256.LoadUnsafe(ref w, 56), a7);
        }
        a0.StoreUnsafe(ref output);
        a1.StoreUnsafe(ref output, 8);
        a2.StoreUnsafe(ref output, 16);
        a3.StoreUnsafe(ref output, 24);
        a4.StoreUnsafe(ref output, 32);
        a5.StoreUnsafe(ref output, 40);
        a6.StoreUnsafe(ref output, 48);
        a7.StoreUnsafe(ref output, 56);
    }

    /// <summary>
    /// target[k, :] += scale · Σ over rows [from, to) of x[r, k] · gradients[r, :], over each row's nonzero inputs:
    /// the weight gradient inputsᵀ · gradients, scaled; <paramref name="outputs"/> of the <paramref name="width"/>
    /// columns are the layer's (the rest padding, zero in the gradients, left as they are or added zero).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddWeightGradient(Span<float> target, int width, int outputs, SparseRows inputs, ReadOnlySpan<float> gradients, int from, int to, float scale)
    {
        int c = 0;
        ref float w = ref MemoryMarshal.GetReference(target);
        ref float g = ref MemoryMarshal.GetReference(gradients);
        for (; c <= width - Chunk; c += Chunk)
        {
            bool padded = Pads8(outputs - c);
            for (int b = 0; b < inputs.Blocks; b++)
                for (int r = from; r < to; r++)
                {
                    var (positions, values) = inputs.Block(r, b);
                    if (positions.Length > 0) AddScaled(ref Unsafe.Add(ref w, c), width, ref Unsafe.Add(ref g, r * width + c), scale, positions, values, 0, padded);
                }
        }
        for (; c < width; c += Lanes)
            for (int r = from; r < to; r++)
            {
                var gc = Vector512.LoadUnsafe(ref g, (nuint)(r * width + c));
                var (positions, values) = inputs.Row(r);
                for (int t = 0; t < positions.Length; t++)
                {
                    ref float wk = ref Unsafe.Add(ref w, positions[t] * width + c);
                    Vector512.FusedMultiplyAdd(Vector512.Create(scale * values[t]), gc, Vector512.LoadUnsafe(ref wk)).StoreUnsafe(ref wk);
                }
            }
    }

    /// <summary>
    /// target[k - first, :] += scale · Σ over rows [from, to) of x[r, k] · gradients[r, :], for the inputs k in
    /// [<paramref name="first"/>, <paramref name="last"/>): rows [first, last) of the scaled weight gradient (or,
    /// for plain SGD, of the weights), the same sums in the same order as <see cref="AddWeightGradient"/>'s.
    /// <paramref name="cursors"/>[r] is where row r's entries at or after <paramref name="first"/> start, and is moved
    /// past <paramref name="last"/>, so that consecutive ranges walk each row once; <paramref name="ends"/> is room for as many.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddWeightGradientRows(Span<float> target, int width, int outputs, SparseRows inputs, ReadOnlySpan<float> gradients, int from, int to, float scale,
        int first, int last, Span<int> cursors, Span<int> ends)
    {
        for (int r = from; r < to; r++)
        {
            var positions = inputs.Row(r).Positions;
            int e = cursors[r];
            while (e < positions.Length && positions[e] < last) e++;
            ends[r] = e;
        }
        int c = 0;
        ref float w = ref MemoryMarshal.GetReference(target);
        ref float g = ref MemoryMarshal.GetReference(gradients);
        for (; c <= width - Chunk; c += Chunk)
        {
            bool padded = Pads8(outputs - c);
            for (int r = from; r < to; r++)
            {
                if (ends[r] == cursors[r]) continue;
                var (positions, values) = inputs.Row(r);
                AddScaled(ref Unsafe.Add(ref w, c), width, ref Unsafe.Add(ref g, r * width + c), scale,
                    positions[cursors[r]..ends[r]], values[cursors[r]..ends[r]], first, padded);
            }
        }
        for (; c < width; c += Lanes)
            for (int r = from; r < to; r++)
            {
                var gc = Vector512.LoadUnsafe(ref g, (nuint)(r * width + c));
                var (positions, values) = inputs.Row(r);
                for (int t = cursors[r]; t < ends[r]; t++)
                {
                    ref float wk = ref Unsafe.Add(ref w, (positions[t] - first) * width + c);
                    Vector512.FusedMultiplyAdd(Vector512.Create(scale * values[t]), gc, Vector512.LoadUnsafe(ref wk)).StoreUnsafe(ref wk);
                }
            }
        ends[from..to].CopyTo(cursors[from..]);
    }

    /// <summary>
    /// Whether a 64-column chunk with this many of the layer's columns in it ends in 8 columns of padding alone: the
    /// lesson's 50 outputs fill 7 of its 8 vectors of 8.
    /// </summary>
    static bool Pads8(int columns) => columns is > Chunk - 16 and <= Chunk - 8;

    /// <summary>
    /// weights[(positions[t] - first) * width ..][0..64) += scale · values[t] · gradient[0..64) for every t; with
    /// <paramref name="padded"/>, columns 56 to 63 are padding (zero in the gradient) and may be left as they are.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void AddScaled(ref float weights, int width, ref float gradient, float scale, ReadOnlySpan<int> positions, ReadOnlySpan<float> values, int first, bool padded)
    {
        if (Vector512.IsHardwareAccelerated) AddScaled512(ref weights, width, ref gradient, scale, positions, values, first);
        else if (padded) AddScaled256<Seven>(ref weights, width, ref gradient, scale, positions, values, first);
        else AddScaled256<Eight>(ref weights, width, ref gradient, scale, positions, values, first);
    }

    /// <summary>
    /// <see cref="AddScaled"/> on AVX-512: four stores a position. 50 outputs need all four 16-column vectors, so it
    /// has no padding to skip.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    static void AddScaled512(ref float weights, int width, ref float gradient, float scale, ReadOnlySpan<int> positions, ReadOnlySpan<float> values, int first)
    {
        var g0 = Vector512.LoadUnsafe(ref gradient);
        var g1 = Vector512.LoadUnsafe(ref gradient, 16);
        var g2 = Vector512.LoadUnsafe(ref gradient, 32);
        var g3 = Vector512.LoadUnsafe(ref gradient, 48);
        for (int t = 0; t < positions.Length; t++)
        {
            var s = Vector512.Create(scale * values[t]);
            ref float wk = ref Unsafe.Add(ref weights, (positions[t] - first) * width);
            Vector512.FusedMultiplyAdd(s, g0, Vector512.LoadUnsafe(ref wk)).StoreUnsafe(ref wk);
            Vector512.FusedMultiplyAdd(s, g1, Vector512.LoadUnsafe(ref wk, 16)).StoreUnsafe(ref wk, 16);
            Vector512.FusedMultiplyAdd(s, g2, Vector512.LoadUnsafe(ref wk, 32)).StoreUnsafe(ref wk, 32);
            Vector512.FusedMultiplyAdd(s, g3, Vector512.LoadUnsafe(ref wk, 48)).StoreUnsafe(ref wk, 48);
        }
    }

    /// <summary>
    /// <see cref="AddScaled"/> on 256-bit vectors, for processors without AVX-512 (see <see cref="Accumulate256"/>): the
    /// same sums. A store of each vector a position bounds it, so the <typeparamref name="TVectors"/> form skips an
    /// eighth vector of padding (5% of the lesson's epoch).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    internal static void AddScaled256<TVectors>(ref float weights, int width, ref float gradient, float scale, ReadOnlySpan<int> positions, ReadOnlySpan<float> values, int first)
        where TVectors : struct, IVectorCount
    {
        bool eighth = typeof(TVectors) == typeof(Eight); // a constant in each compiled form
        var g0 = Vector256.LoadUnsafe(ref gradient);
        var g1 = Vector256.LoadUnsafe(ref gradient, 8);
        var g2 = Vector256.LoadUnsafe(ref gradient, 16);
        var g3 = Vector256.LoadUnsafe(ref gradient, 24);
        var g4 = Vector256.LoadUnsafe(ref gradient, 32);
        var g5 = Vector256.LoadUnsafe(ref gradient, 40);
        var g6 = Vector256.LoadUnsafe(ref gradient, 48);
        var g7 = eighth ? Vector256.LoadUnsafe(ref gradient, 56) : default;
        for (int t = 0; t < positions.Length; t++)
        {
            var s = Vector256.Create(scale * values[t]);
            ref float wk = ref Unsafe.Add(ref weights, (positions[t] - first) * width);
            Vector256.FusedMultiplyAdd(s, g0, Vector256.LoadUnsafe(ref wk)).StoreUnsafe(ref wk);
            Vector256.FusedMultiplyAdd(s, g1, Vector256.LoadUnsafe(ref wk, 8)).StoreUnsafe(ref wk, 8);
            Vector256.FusedMultiplyAdd(s, g2, Vector256.LoadUnsafe(ref wk, 16)).StoreUnsafe(ref wk, 16);
            Vector256.FusedMultiplyAdd(s, g3, Vector256.LoadUnsafe(ref wk, 24)).StoreUnsafe(ref wk, 24);
            Vector256.FusedMultiplyAdd(s, g4, Vector256.LoadUnsafe(ref wk, 32)).StoreUnsafe(ref wk, 32);
            Vector256.FusedMultiplyAdd(s, g5, Vector256.LoadUnsafe(ref wk, 40)).StoreUnsafe(ref wk, 40);
            Vector256.FusedMultiplyAdd(s, g6, Vector256.LoadUnsafe(ref wk, 48)).StoreUnsafe(ref wk, 48);
            if (eighth) Vector256.FusedMultiplyAdd(s, g7, Vector256.LoadUnsafe(ref wk, 56)).StoreUnsafe(ref wk, 56);
        }
    }

    /// <summary>
    /// The gradient below a layer for one row: below = Σ over outputs c of gradient[c] · weightsᵀ[c, :] (a whole row
    /// of vectors per output, from the layer's transposed copy), zeroed where the layer's input, a ReLU of
    /// <paramref name="preActivation"/>, was not positive: the ReLU's backward folded in.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void InputGradient(ManagedLayer layer, ReadOnlySpan<float> gradient, ReadOnlySpan<float> preActivation, Span<float> below)
    {
        int width = below.Length;
        ref float wt = ref MemoryMarshal.GetReference(layer.Transposed.Span);
        ref float g = ref MemoryMarshal.GetReference(gradient);
        ref float z = ref MemoryMarshal.GetReference(preActivation);
        ref float o = ref MemoryMarshal.GetReference(below);
        for (int k = 0; k < width; k += Lanes)
        {
            Vector512<float> sum = default, other = default;
            int c = 0;
            for (; c + 1 < layer.Out; c += 2)
            {
                sum = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref g, c)), Vector512.LoadUnsafe(ref wt, (nuint)(c * width + k)), sum);
                other = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref g, c + 1)), Vector512.LoadUnsafe(ref wt, (nuint)((c + 1) * width + k)), other);
            }
            if (c < layer.Out)
                sum = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref g, c)), Vector512.LoadUnsafe(ref wt, (nuint)(c * width + k)), sum);
            var active = Vector512.GreaterThan(Vector512.LoadUnsafe(ref z, (nuint)k), Vector512<float>.Zero);
            Vector512.ConditionalSelect(active, sum + other, Vector512<float>.Zero).StoreUnsafe(ref o, (nuint)k);
        }
    }

    /// <summary>target[c] += scale · Σ over rows [<paramref name="from"/>, <paramref name="to"/>) of matrix[r, c]: the bias gradient, scaled.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddColumnSums(Span<float> target, ReadOnlySpan<float> matrix, int from, int to, float scale)
    {
        int width = target.Length;
        ref float m = ref MemoryMarshal.GetReference(matrix);
        ref float t = ref MemoryMarshal.GetReference(target);
        for (int c = 0; c < width; c += Lanes)
        {
            var sum = Vector512<float>.Zero;
            for (int r = from; r < to; r++) sum += Vector512.LoadUnsafe(ref m, (nuint)(r * width + c));
            Vector512.FusedMultiplyAdd(Vector512.Create(scale), sum, Vector512.LoadUnsafe(ref t, (nuint)c)).StoreUnsafe(ref t, (nuint)c);
        }
    }

    /// <summary>
    /// target[i] += Σ over shares of share[i] (or, without <paramref name="add"/>, target[i] = that sum) for i in
    /// [<paramref name="from"/>, <paramref name="to"/>), whole vectors, and the shares zeroed there for the next batch.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddShares(Span<float> target, Memory<float>[] shares, int from, int to, bool add)
    {
        ref float t = ref MemoryMarshal.GetReference(target);
        for (int i = from; i < to; i += Lanes)
        {
            var sum = add ? Vector512.LoadUnsafe(ref t, (nuint)i) : Vector512<float>.Zero;
            foreach (var share in shares)
            {
                ref float s = ref MemoryMarshal.GetReference(share.Span);
                sum += Vector512.LoadUnsafe(ref s, (nuint)i);
                Vector512<float>.Zero.StoreUnsafe(ref s, (nuint)i);
            }
            sum.StoreUnsafe(ref t, (nuint)i);
        }
    }

    /// <summary>
    /// Cross-entropy of one row of <paramref name="count"/> logits, padded with zeros to whole vectors, returned;
    /// the row becomes its gradient, softmax - onehot, and its padding stays zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float SoftmaxCrossEntropyAndGradient(Span<float> logits, int count, int label)
    {
        if (!Vector512.IsHardwareAccelerated) return SoftmaxCrossEntropyAndGradient256(logits, count, label);
        ref float x = ref MemoryMarshal.GetReference(logits);
        var minusInfinity = Vector512.Create(float.NegativeInfinity);
        var maxima = minusInfinity;
        for (int c = 0; c < count; c += Lanes)
            maxima = Vector512.Max(maxima, Vector512.ConditionalSelect(Within(count - c), Vector512.LoadUnsafe(ref x, (nuint)c), minusInfinity));
        float max = MaxAcross(maxima), shiftedLabelLogit = logits[label] - max;
        var sums = Vector512<float>.Zero;
        for (int c = 0; c < count; c += Lanes)
        {
            var shifted = Vector512.LoadUnsafe(ref x, (nuint)c) - Vector512.Create(max);
            // Terms below 2^-64 become 0 (Flush): kept, they and the gradients below them would shrink into the
            // subnormal range as a model grows confident. Against a sum of at least 1 they are below a float's resolution.
            var kept = Within(count - c) & Vector512.GreaterThanOrEqual(shifted, Vector512.Create(Flush.FloorExponent));
            var e = Vector512.ConditionalSelect(kept, Vector512.Exp(shifted), Vector512<float>.Zero);
            e.StoreUnsafe(ref x, (nuint)c); // exp cannot overflow: every exponent is at most 0
            sums += e;
        }
        float sum = Vector512.Sum(sums);
        for (int c = 0; c < count; c += Lanes)
            (Vector512.LoadUnsafe(ref x, (nuint)c) / Vector512.Create(sum)).StoreUnsafe(ref x, (nuint)c);
        logits[label] -= 1;
        return MathF.Log(sum) - shiftedLabelLogit;
    }

    /// <summary>
    /// <see cref="SoftmaxCrossEntropyAndGradient"/> on 256-bit vectors, for processors without AVX-512 (where .NET
    /// calls a function for each operation on an emulated Vector512): the same values.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static float SoftmaxCrossEntropyAndGradient256(Span<float> logits, int count, int label)
    {
        ref float x = ref MemoryMarshal.GetReference(logits);
        var minusInfinity = Vector256.Create(float.NegativeInfinity);
        var maxima = minusInfinity;
        for (int c = 0; c < count; c += 8)
            maxima = Vector256.Max(maxima, Vector256.ConditionalSelect(Within256(count - c), Vector256.LoadUnsafe(ref x, (nuint)c), minusInfinity));
        float max = MaxAcross(maxima), shiftedLabelLogit = logits[label] - max;
        var sums = Vector256<float>.Zero;
        for (int c = 0; c < count; c += 8)
        {
            var shifted = Vector256.LoadUnsafe(ref x, (nuint)c) - Vector256.Create(max);
            var kept = Within256(count - c) & Vector256.GreaterThanOrEqual(shifted, Vector256.Create(Flush.FloorExponent));
            var e = Vector256.ConditionalSelect(kept, Vector256.Exp(shifted), Vector256<float>.Zero);
            e.StoreUnsafe(ref x, (nuint)c);
            sums += e;
        }
        float sum = Vector256.Sum(sums);
        for (int c = 0; c < count; c += 8)
            (Vector256.LoadUnsafe(ref x, (nuint)c) / Vector256.Create(sum)).StoreUnsafe(ref x, (nuint)c);
        logits[label] -= 1;
        return MathF.Log(sum) - shiftedLabelLogit;
    }

    /// <summary>Lanes below <paramref name="remaining"/> set.</summary>
    static Vector512<float> Within(int remaining) =>
        Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(remaining)).AsSingle();

    static Vector256<float> Within256(int remaining) =>
        Vector256.LessThan(Vector256<int>.Indices, Vector256.Create(remaining)).AsSingle();

    static float MaxAcross(Vector512<float> values) => MaxAcross(Vector256.Max(values.GetLower(), values.GetUpper()));

    static float MaxAcross(Vector256<float> values)
    {
        var half = Vector128.Max(values.GetLower(), values.GetUpper());
        return MathF.Max(MathF.Max(half[0], half[1]), MathF.Max(half[2], half[3]));
    }
}
