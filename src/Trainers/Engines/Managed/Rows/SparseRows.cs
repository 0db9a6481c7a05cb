using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace MlNetMnist.Trainers.Engines.Managed;

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

    [MethodImpl(MethodImplOptions.AggressiveInlining)] // per row and block in the kernels
    SparseRow Slice(int row, int fromBlock, int toBlock)
    {
        int at = row * (Blocks + 1), start = _starts[at + fromBlock], length = _starts[at + toBlock] - start;
        return new(_positions.AsSpan(row * _stride + start, length), _values.AsSpan(row * _stride + start, length));
    }

    /// <summary>Row <paramref name="row"/>'s nonzero positions and values in [<paramref name="first"/>, <paramref name="last"/>).</summary>
    public SparseRow Range(int row, int first, int last)
    {
        var (positions, values) = Row(row);
        int start = EntryAtOrAfter(row, first), end = EntryAtOrAfter(row, last);
        return new(positions[start..end], values[start..end]);
    }

    /// <summary>The index in row <paramref name="row"/>'s entries of the first at or after <paramref name="position"/>.</summary>
    public int EntryAtOrAfter(int row, int position)
    {
        var positions = Row(row).Positions;
        int e = _starts[row * (Blocks + 1) + Math.Min(position / Kernels.BlockRows, Blocks)];
        while (e < positions.Length && positions[e] < position) e++;
        return e;
    }

    /// <summary>
    /// Stores the nonzero values (NaN included) of <paramref name="values"/> as row <paramref name="row"/>; with
    /// <paramref name="relu"/>, the positive ones only, which is ReLU and sparsifying in one pass.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Set(int row, ReadOnlySpan<float> values, bool relu = false)
    {
        int count = SparseFeatures.Compress(values, _positions.AsSpan(row * _stride, _stride), _values.AsSpan(row * _stride, _stride), relu);
        FindBlocks(row, count);
    }

    /// <summary>Stores a row that is sparse already.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Set(int row, SparseRow entries)
    {
        entries.Positions.CopyTo(_positions.AsSpan(row * _stride, _stride));
        entries.Values.CopyTo(_values.AsSpan(row * _stride, _stride));
        FindBlocks(row, entries.Positions.Length);
    }

    /// <summary>
    /// Records where each block of row <paramref name="row"/>'s <paramref name="count"/> entries starts: the entries
    /// are sorted, so the entries below a block's first position are a prefix, found 16 at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void FindBlocks(int row, int count)
    {
        var starts = _starts.AsSpan(row * (Blocks + 1), Blocks + 1);
        ref int positions = ref _positions[row * _stride];
        int t = 0; // a multiple of 16: every entry before it is below the current bound
        starts[0] = 0;
        for (int b = 1; b < Blocks; b++)
        {
            int bound = b * Kernels.BlockRows;
            while (t + 16 <= count && Unsafe.Add(ref positions, t + 15) < bound) t += 16;
            starts[b] = t + CountBelow(ref Unsafe.Add(ref positions, t), bound, count - t);
        }
        starts[Blocks] = count;
    }

    /// <summary>
    /// How many of the 16 positions from <paramref name="positions"/> are below <paramref name="bound"/>, of the first
    /// <paramref name="entries"/> (the row has room for a whole vector past its entries; lanes past them are not counted).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static int CountBelow(ref int positions, int bound, int entries) =>
        Vector512.IsHardwareAccelerated ? CountBelow512(ref positions, bound, entries) : CountBelow256(ref positions, bound, entries);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int CountBelow512(ref int positions, int bound, int entries)
    {
        var below = Vector512.LessThan(Vector512.LoadUnsafe(ref positions), Vector512.Create(bound))
            & Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(entries));
        return BitOperations.PopCount(below.ExtractMostSignificantBits());
    }

    /// <summary><see cref="CountBelow512"/> in two 256-bit halves, for processors without AVX-512 (an emulated Vector512 calls a function per operation).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static int CountBelow256(ref int positions, int bound, int entries)
    {
        var lanes = Vector256<int>.Indices;
        var low = Vector256.LessThan(Vector256.LoadUnsafe(ref positions), Vector256.Create(bound))
            & Vector256.LessThan(lanes, Vector256.Create(entries));
        var high = Vector256.LessThan(Vector256.LoadUnsafe(ref positions, 8), Vector256.Create(bound))
            & Vector256.LessThan(lanes, Vector256.Create(entries - 8));
        return BitOperations.PopCount(low.ExtractMostSignificantBits()) + BitOperations.PopCount(high.ExtractMostSignificantBits());
    }
}
