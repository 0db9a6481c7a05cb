using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MlNetMnist.Trainers.Fast;

/// <summary>
/// Each row's nonzero input positions in ascending order, and where each block of <see cref="Kernels.BlockRows"/>
/// inputs starts among them, so that a kernel can take one row's share of one block of weights directly.
/// </summary>
internal sealed class NonzeroRows
{
    readonly int[] _positions; // row r: from r * _stride, with room for whole-vector stores past the last
    readonly int[] _starts;    // row r: Blocks + 1 offsets into its positions
    readonly int _stride;

    public NonzeroRows(int rows, int inputs)
    {
        Blocks = (inputs + Kernels.BlockRows - 1) / Kernels.BlockRows;
        _stride = inputs + Vector512<int>.Count;
        _positions = new int[rows * _stride];
        _starts = new int[rows * (Blocks + 1)];
    }

    public int Blocks { get; }

    /// <summary>Row <paramref name="row"/>'s nonzero positions.</summary>
    public ReadOnlySpan<int> Row(int row) => _positions.AsSpan(row * _stride, _starts[row * (Blocks + 1) + Blocks]);

    /// <summary>Row <paramref name="row"/>'s nonzero positions in block <paramref name="block"/>.</summary>
    public ReadOnlySpan<int> Block(int row, int block)
    {
        int at = row * (Blocks + 1) + block, start = _starts[at];
        return _positions.AsSpan(row * _stride + start, _starts[at + 1] - start);
    }

    /// <summary>Records the positions of the nonzero values (NaN included) of <paramref name="values"/> as row <paramref name="row"/>.</summary>
    public void Find(int row, ReadOnlySpan<float> values)
    {
        var starts = _starts.AsSpan(row * (Blocks + 1), Blocks + 1);
        var positions = _positions.AsSpan(row * _stride, _stride);
        int count = 0, k = 0;
        if (Avx512F.IsSupported)
        {
            // One compress per 16 values: no branch per nonzero to mispredict.
            var lanes = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
            ref float start = ref MemoryMarshal.GetReference(values);
            ref int output = ref MemoryMarshal.GetReference(positions);
            for (; k <= values.Length - 16; k += 16)
            {
                if (k % Kernels.BlockRows == 0) starts[k / Kernels.BlockRows] = count;
                var nonzero = (~Vector512.Equals(Vector512.LoadUnsafe(ref start, (nuint)k), Vector512<float>.Zero)).AsInt32();
                Avx512F.Compress(Vector512<int>.Zero, nonzero, lanes + Vector512.Create(k)).StoreUnsafe(ref output, (nuint)count);
                count += BitOperations.PopCount(nonzero.ExtractMostSignificantBits());
            }
        }
        for (; k < values.Length; k++)
        {
            if (k % Kernels.BlockRows == 0) starts[k / Kernels.BlockRows] = count;
            if (values[k] != 0) positions[count++] = k;
        }
        starts[Blocks] = count;
    }
}

/// <summary>
/// The kernels of <see cref="ManagedMlp"/>, on 512-bit vectors (AVX-512 where the CPU has it; .NET emulates them
/// elsewhere). A layer's weights are [in x width] row-major, width a whole number of vectors, so that one input's
/// weights to every output are a few contiguous vectors. Only the nonzero inputs of a row are multiplied.
/// The big products walk the weights one block of rows at a time, a block small enough to stay in the L1 cache
/// while every row of the batch uses it: the whole first layer (784 x 64 floats, 200 KB) would not.
/// </summary>
internal static class Kernels
{
    /// <summary>Columns handled together: four vectors held in registers.</summary>
    const int Chunk = 64;

    /// <summary>Weight rows per block: 64 x 64 floats, 16 KB, half the L1 data cache of most cores.</summary>
    public const int BlockRows = 64;

    public static int Lanes => Vector512<float>.Count;

    /// <summary>outputs[r, :] = bias + Σ over the nonzero k of row r of inputs[r, k] · weights[k, :], for rows [first, last).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(ManagedMlp.Layer layer, ReadOnlySpan<float> inputs, int inputStride, NonzeroRows nonzeros,
        int first, int last, Span<float> outputs)
    {
        int width = layer.Width, c = 0;
        for (int r = first; r < last; r++) layer.Biases.CopyTo(outputs.Slice(r * width, width));
        ref float w = ref MemoryMarshal.GetArrayDataReference(layer.Weights);
        ref float x = ref MemoryMarshal.GetReference(inputs);
        ref float o = ref MemoryMarshal.GetReference(outputs);
        for (; c <= width - Chunk; c += Chunk)
            for (int b = 0; b < nonzeros.Blocks; b++)
                for (int r = first; r < last; r++)
                {
                    var positions = nonzeros.Block(r, b);
                    if (positions.Length > 0)
                        Accumulate(ref Unsafe.Add(ref o, r * width + c), ref Unsafe.Add(ref w, c), width, ref Unsafe.Add(ref x, r * inputStride), positions);
                }
        // Narrow remainders (10 classes: one vector) are small: one vector at a time, unblocked.
        for (; c < width; c += Lanes)
            for (int r = first; r < last; r++)
            {
                ref float xr = ref Unsafe.Add(ref x, r * inputStride);
                ref float or = ref Unsafe.Add(ref o, r * width + c);
                var a = Vector512.LoadUnsafe(ref or);
                foreach (int k in nonzeros.Row(r))
                    a = Vector512.FusedMultiplyAdd(Vector512.Create(Unsafe.Add(ref xr, k)), Vector512.LoadUnsafe(ref w, (nuint)(k * width + c)), a);
                a.StoreUnsafe(ref or);
            }
    }

    /// <summary>output[0..64) += Σ over <paramref name="positions"/> k of x[k] · weights[k * width ..][0..64), in registers.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    static void Accumulate(ref float output, ref float weights, int width, ref float x, ReadOnlySpan<int> positions)
    {
        var a0 = Vector512.LoadUnsafe(ref output);
        var a1 = Vector512.LoadUnsafe(ref output, 16);
        var a2 = Vector512.LoadUnsafe(ref output, 32);
        var a3 = Vector512.LoadUnsafe(ref output, 48);
        foreach (int k in positions)
        {
            var xk = Vector512.Create(Unsafe.Add(ref x, k));
            ref float wk = ref Unsafe.Add(ref weights, k * width);
            a0 = Vector512.FusedMultiplyAdd(xk, Vector512.LoadUnsafe(ref wk), a0);
            a1 = Vector512.FusedMultiplyAdd(xk, Vector512.LoadUnsafe(ref wk, 16), a1);
            a2 = Vector512.FusedMultiplyAdd(xk, Vector512.LoadUnsafe(ref wk, 32), a2);
            a3 = Vector512.FusedMultiplyAdd(xk, Vector512.LoadUnsafe(ref wk, 48), a3);
        }
        a0.StoreUnsafe(ref output);
        a1.StoreUnsafe(ref output, 16);
        a2.StoreUnsafe(ref output, 32);
        a3.StoreUnsafe(ref output, 48);
    }

    /// <summary>weights[k * width ..][0..64) += scale · x[k] · gradient[0..64) for every k in <paramref name="positions"/>.</summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    static void AddScaled(ref float weights, int width, ref float gradient, float scale, ref float x, ReadOnlySpan<int> positions)
    {
        var g0 = Vector512.LoadUnsafe(ref gradient);
        var g1 = Vector512.LoadUnsafe(ref gradient, 16);
        var g2 = Vector512.LoadUnsafe(ref gradient, 32);
        var g3 = Vector512.LoadUnsafe(ref gradient, 48);
        foreach (int k in positions)
        {
            var s = Vector512.Create(scale * Unsafe.Add(ref x, k));
            ref float wk = ref Unsafe.Add(ref weights, k * width);
            Vector512.FusedMultiplyAdd(s, g0, Vector512.LoadUnsafe(ref wk)).StoreUnsafe(ref wk);
            Vector512.FusedMultiplyAdd(s, g1, Vector512.LoadUnsafe(ref wk, 16)).StoreUnsafe(ref wk, 16);
            Vector512.FusedMultiplyAdd(s, g2, Vector512.LoadUnsafe(ref wk, 32)).StoreUnsafe(ref wk, 32);
            Vector512.FusedMultiplyAdd(s, g3, Vector512.LoadUnsafe(ref wk, 48)).StoreUnsafe(ref wk, 48);
        }
    }

    /// <summary>
    /// target[k, :] += scale · Σ over rows of inputs[r, k] · gradients[r, :], over each row's nonzero k: the weight
    /// gradient inputsᵀ · gradients, scaled. Part <paramref name="part"/> of <paramref name="parts"/> does every
    /// parts-th block of weight rows, so parts can run at once without sharing a weight.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddWeightGradient(float[] target, ManagedMlp.Layer layer, ReadOnlySpan<float> inputs, int inputStride, NonzeroRows nonzeros,
        ReadOnlySpan<float> gradients, int rows, float scale, int part, int parts)
    {
        int width = layer.Width, c = 0;
        ref float w = ref MemoryMarshal.GetArrayDataReference(target);
        ref float x = ref MemoryMarshal.GetReference(inputs);
        ref float g = ref MemoryMarshal.GetReference(gradients);
        for (; c <= width - Chunk; c += Chunk)
            for (int b = part; b < nonzeros.Blocks; b += parts)
                for (int r = 0; r < rows; r++)
                {
                    var positions = nonzeros.Block(r, b);
                    if (positions.Length > 0)
                        AddScaled(ref Unsafe.Add(ref w, c), width, ref Unsafe.Add(ref g, r * width + c), scale, ref Unsafe.Add(ref x, r * inputStride), positions);
                }
        if (part != 0) return;
        for (; c < width; c += Lanes)
            for (int r = 0; r < rows; r++)
            {
                ref float xr = ref Unsafe.Add(ref x, r * inputStride);
                var gc = Vector512.LoadUnsafe(ref g, (nuint)(r * width + c));
                foreach (int k in nonzeros.Row(r))
                {
                    ref float wk = ref Unsafe.Add(ref w, k * width + c);
                    Vector512.FusedMultiplyAdd(Vector512.Create(scale * Unsafe.Add(ref xr, k)), gc, Vector512.LoadUnsafe(ref wk)).StoreUnsafe(ref wk);
                }
            }
    }

    /// <summary>
    /// The gradient below a layer for one row: below[k] = gradient · weights[k, :] where the layer's input (a ReLU
    /// output) is positive, 0 elsewhere, which is the ReLU's backward folded in.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void InputGradient(ManagedMlp.Layer layer, ReadOnlySpan<float> gradient, ReadOnlySpan<float> input, ReadOnlySpan<int> nonzeros, Span<float> below)
    {
        below.Clear();
        int width = layer.Width;
        ref float w = ref MemoryMarshal.GetArrayDataReference(layer.Weights);
        ref float g = ref MemoryMarshal.GetReference(gradient);
        foreach (int k in nonzeros)
        {
            if (!(input[k] > 0)) continue;
            ref float row = ref Unsafe.Add(ref w, k * width);
            var sum = Vector512<float>.Zero;
            for (int c = 0; c < width; c += Lanes)
                sum = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref g, (nuint)c), Vector512.LoadUnsafe(ref row, (nuint)c), sum);
            below[k] = Vector512.Sum(sum);
        }
    }

    /// <summary>Cross-entropy of one row of logits against <paramref name="label"/>: log Σ exp(x - max) + max - x[label].</summary>
    public static float CrossEntropy(ReadOnlySpan<float> logits, int label)
    {
        float max = TensorPrimitives.Max(logits), sum = 0;
        foreach (float x in logits) sum += MathF.Exp(x - max);
        return max + MathF.Log(sum) - logits[label];
    }

    /// <summary>Cross-entropy of one row, returned; the row becomes its gradient, softmax - onehot.</summary>
    public static float CrossEntropyAndGradient(Span<float> logits, int label)
    {
        float max = TensorPrimitives.Max(logits);
        float shiftedLabelLogit = logits[label] - max;
        TensorPrimitives.Subtract(logits, max, logits); // exp cannot overflow
        TensorPrimitives.Exp(logits, logits);
        float sum = TensorPrimitives.Sum(logits);
        TensorPrimitives.Divide(logits, sum, logits);
        logits[label] -= 1;
        return MathF.Log(sum) - shiftedLabelLogit;
    }
}
