using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MlNetMnist.Trainers.Fast;

/// <summary>
/// A batch of rows kept as their nonzero values and positions, in ascending position, with where each block of
/// <see cref="Kernels.BlockRows"/> positions starts, so that a kernel can take one row's share of one block of
/// weights directly. Compact and contiguous: a row of MNIST pixels is 784 floats but about 150 nonzeros.
/// </summary>
internal sealed class SparseRows
{
    readonly int[] _positions; // row r: from r * _stride, with room for a whole vector stored past the last
    readonly float[] _values;  // alongside _positions
    readonly int[] _starts;    // row r: Blocks + 1 offsets into its entries
    readonly int _stride;

    public SparseRows(int rows, int columns)
    {
        Blocks = (columns + Kernels.BlockRows - 1) / Kernels.BlockRows;
        _stride = columns + Vector512<float>.Count;
        _positions = new int[rows * _stride];
        _values = new float[rows * _stride];
        _starts = new int[rows * (Blocks + 1)];
    }

    public int Blocks { get; }

    /// <summary>Row <paramref name="row"/>'s nonzero positions and values.</summary>
    public SparseRow Row(int row) => Slice(row, 0, Blocks);

    /// <summary>Row <paramref name="row"/>'s nonzero positions and values within block <paramref name="block"/>.</summary>
    public SparseRow Block(int row, int block) => Slice(row, block, block + 1);

    SparseRow Slice(int row, int fromBlock, int toBlock)
    {
        int at = row * (Blocks + 1), start = _starts[at + fromBlock], length = _starts[at + toBlock] - start;
        return new(_positions.AsSpan(row * _stride + start, length), _values.AsSpan(row * _stride + start, length));
    }

    /// <summary>
    /// Stores the nonzero values (NaN included) of <paramref name="values"/> as row <paramref name="row"/>; with
    /// <paramref name="relu"/>, the positive ones only, which is ReLU and sparsifying in one pass.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Set(int row, ReadOnlySpan<float> values, bool relu = false)
    {
        var starts = _starts.AsSpan(row * (Blocks + 1), Blocks + 1);
        var positions = _positions.AsSpan(row * _stride, _stride);
        var kept = _values.AsSpan(row * _stride, _stride);
        int count = 0, k = 0;
        if (Avx512F.IsSupported)
        {
            // One compress per 16 values: no branch per nonzero to mispredict.
            var lanes = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
            ref float source = ref MemoryMarshal.GetReference(values);
            ref int positionsOut = ref MemoryMarshal.GetReference(positions);
            ref float valuesOut = ref MemoryMarshal.GetReference(kept);
            for (; k <= values.Length - 16; k += 16)
            {
                if (k % Kernels.BlockRows == 0) starts[k / Kernels.BlockRows] = count;
                var chunk = Vector512.LoadUnsafe(ref source, (nuint)k);
                var nonzero = relu ? Vector512.GreaterThan(chunk, Vector512<float>.Zero) : ~Vector512.Equals(chunk, Vector512<float>.Zero);
                Avx512F.Compress(Vector512<int>.Zero, nonzero.AsInt32(), lanes + Vector512.Create(k)).StoreUnsafe(ref positionsOut, (nuint)count);
                Avx512F.Compress(Vector512<float>.Zero, nonzero, chunk).StoreUnsafe(ref valuesOut, (nuint)count);
                count += BitOperations.PopCount(nonzero.ExtractMostSignificantBits());
            }
        }
        for (; k < values.Length; k++)
        {
            if (k % Kernels.BlockRows == 0) starts[k / Kernels.BlockRows] = count;
            if (relu ? values[k] > 0 : values[k] != 0)
            {
                positions[count] = k;
                kept[count++] = values[k];
            }
        }
        starts[Blocks] = count;
    }
}

/// <summary>Part of one row of <see cref="SparseRows"/>: nonzero values and their positions.</summary>
internal readonly ref struct SparseRow(ReadOnlySpan<int> positions, ReadOnlySpan<float> values)
{
    public ReadOnlySpan<int> Positions { get; } = positions;

    public ReadOnlySpan<float> Values { get; } = values;

    public void Deconstruct(out ReadOnlySpan<int> positions, out ReadOnlySpan<float> values)
    {
        positions = Positions;
        values = Values;
    }
}
