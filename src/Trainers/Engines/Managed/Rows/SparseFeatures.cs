using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MlNetMnist.Trainers.Engines.Managed;

/// <summary>
/// Rows of features kept as their nonzero values and the positions of those values, in ascending position
/// (compressed sparse rows): a <see cref="CompactDataset"/>'s rows and the rows of a <see cref="SparseBatch"/>.
/// <see cref="SparseRowsView"/> shows some of its rows without copying them. An MNIST row is 784 pixels of which
/// about 150 are nonzero, so a model that skips zeros reads a fifth of the data.
/// </summary>
public sealed class SparseFeatures : ISparseRows
{
    int[] _rowStarts;  // row r: entries [_rowStarts[r], _rowStarts[r + 1])
    int[] _positions;  // with room for a whole vector stored past the last entry
    float[] _values;

    /// <param name="featureCount">Values per dense row.</param>
    /// <param name="rowCapacity">Rows to make room for; more grow the buffers.</param>
    /// <param name="entryCapacity">Nonzero values to make room for; more grow the buffers.</param>
    public SparseFeatures(int featureCount, int rowCapacity = 0, int entryCapacity = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(featureCount, 1);
        FeatureCount = featureCount;
        _rowStarts = new int[rowCapacity + 1];
        _positions = new int[entryCapacity + Vector512<int>.Count];
        _values = new float[entryCapacity + Vector512<int>.Count];
    }

    /// <summary>Values per dense row: every position is below it.</summary>
    public int FeatureCount { get; }

    public int Rows { get; private set; }

    /// <summary>Nonzero values held, over all rows.</summary>
    public int Count => _rowStarts[Rows];

    /// <summary>Row <paramref name="row"/>'s nonzero values and their positions.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // per row of every batch
    public SparseRow Row(int row)
    {
        if ((uint)row >= (uint)Rows) throw new ArgumentOutOfRangeException(nameof(row), row, $"There are {Rows} rows.");
        int start = _rowStarts[row], length = _rowStarts[row + 1] - start;
        return new(_positions.AsSpan(start, length), _values.AsSpan(start, length));
    }

    /// <summary>Empties it, keeping the buffers.</summary>
    public void Clear() => Rows = 0;

    /// <summary>Adds a row given as its nonzero values and their ascending positions (as <see cref="Row"/> gives them); zeros and subnormals in it are dropped.</summary>
    /// <exception cref="ArgumentException">Positions and values differ in number, or a position is out of order or outside 0..FeatureCount - 1.</exception>
    public void Append(SparseRow row)
    {
        var positions = row.Positions;
        if (positions.Length != row.Values.Length)
            throw new ArgumentException($"The row has {positions.Length} positions and {row.Values.Length} values.", nameof(row));
        for (int t = 0, previous = -1; t < positions.Length; previous = positions[t++])
            if (positions[t] <= previous || positions[t] >= FeatureCount)
                throw new ArgumentException($"Position {positions[t]} at entry {t} is not above the one before it and below {FeatureCount}.", nameof(row));
        AppendValid(row);
        // Zeros and subnormals are dropped, as Compress drops them.
        int start = _rowStarts[Rows - 1], kept = start;
        for (int t = start; t < _rowStarts[Rows]; t++)
            if (!(MathF.Abs(_values[t]) < Flush.SmallestNormal))
                (_positions[kept], _values[kept++]) = (_positions[t], _values[t]);
        _rowStarts[Rows] = kept;
    }

    /// <summary><see cref="Append"/> without the checks, for rows known to be valid (another <see cref="SparseFeatures"/>' of the same width).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal void AppendValid(SparseRow row)
    {
        Reserve(row.Positions.Length);
        int start = _rowStarts[Rows];
        row.Positions.CopyTo(_positions.AsSpan(start));
        row.Values.CopyTo(_values.AsSpan(start));
        _rowStarts[++Rows] = start + row.Positions.Length;
    }

    /// <summary>Adds a dense row of <see cref="FeatureCount"/> values, keeping its nonzero ones (NaN included).</summary>
    public void AppendDense(ReadOnlySpan<float> row)
    {
        if (row.Length != FeatureCount)
            throw new ArgumentException($"The row has {row.Length} values; these rows have {FeatureCount}.", nameof(row));
        Reserve(FeatureCount);
        int start = _rowStarts[Rows];
        int count = Compress(row, _positions.AsSpan(start), _values.AsSpan(start));
        _rowStarts[++Rows] = start + count;
    }

    /// <summary>
    /// Stores the nonzero values of <paramref name="values"/> (NaN included; with <paramref name="positiveOnly"/>,
    /// the positive ones only, which is what a ReLU lets through) and their positions in ascending order, and
    /// returns how many. Both outputs need room for <paramref name="values"/>' length plus one 512-bit vector.
    /// A subnormal value (magnitude below 2^-126) counts as 0, so that no kernel reading the rows meets one: many
    /// x86 cores compute with subnormals through a slow microcode assist.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int Compress(ReadOnlySpan<float> values, Span<int> positions, Span<float> kept, bool positiveOnly = false)
    {
        int room = values.Length + Vector512<int>.Count;
        if (positions.Length < room || kept.Length < room)
            throw new ArgumentException($"Compress needs room for {room} entries (the values and one vector past them).");
        var (count, next) = Avx512F.IsSupported ? Compress512(values, positions, kept, positiveOnly)
            : Avx2.IsSupported ? Compress256(values, positions, kept, positiveOnly)
            : (0, 0);
        return CompressScalar(values, positions, kept, positiveOnly, count, next);
    }

    /// <summary>
    /// <see cref="Compress"/> of whole 512-bit vectors of <paramref name="values"/>, one compress instruction per 16
    /// values: no branch per nonzero to mispredict. Returns the count kept and the first value not looked at. AVX-512 only.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static (int Count, int Next) Compress512(ReadOnlySpan<float> values, Span<int> positions, Span<float> kept, bool positiveOnly)
    {
        int count = 0, k = 0;
        var lanes = Vector512<int>.Indices;
        var smallestNormal = Vector512.Create(Flush.SmallestNormal);
        ref float source = ref MemoryMarshal.GetReference(values);
        ref int positionsOut = ref MemoryMarshal.GetReference(positions);
        ref float keptOut = ref MemoryMarshal.GetReference(kept);
        for (; k <= values.Length - 16; k += 16)
        {
            var chunk = Vector512.LoadUnsafe(ref source, (nuint)k);
            var nonzero = positiveOnly ? Vector512.GreaterThanOrEqual(chunk, smallestNormal)
                : ~Vector512.LessThan(Vector512.Abs(chunk), smallestNormal);
            Avx512F.Compress(Vector512<int>.Zero, nonzero.AsInt32(), lanes + Vector512.Create(k)).StoreUnsafe(ref positionsOut, (nuint)count);
            Avx512F.Compress(Vector512<float>.Zero, nonzero, chunk).StoreUnsafe(ref keptOut, (nuint)count);
            count += BitOperations.PopCount(nonzero.ExtractMostSignificantBits());
        }
        return (count, k);
    }

    /// <summary>
    /// <see cref="Compress512"/> for AVX2, which has no compress: the mask of the 8 lanes kept picks a permutation
    /// that moves them to the front. AVX2 only.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static (int Count, int Next) Compress256(ReadOnlySpan<float> values, Span<int> positions, Span<float> kept, bool positiveOnly)
    {
        int count = 0, k = 0;
        var lanes = Vector256<int>.Indices;
        var smallestNormal = Vector256.Create(Flush.SmallestNormal);
        ref float source = ref MemoryMarshal.GetReference(values);
        ref int positionsOut = ref MemoryMarshal.GetReference(positions);
        ref float keptOut = ref MemoryMarshal.GetReference(kept);
        ref int permutations = ref MemoryMarshal.GetArrayDataReference(FrontPermutations);
        for (; k <= values.Length - 8; k += 8)
        {
            var chunk = Vector256.LoadUnsafe(ref source, (nuint)k);
            var nonzero = positiveOnly ? Vector256.GreaterThanOrEqual(chunk, smallestNormal)
                : ~Vector256.LessThan(Vector256.Abs(chunk), smallestNormal);
            uint mask = nonzero.ExtractMostSignificantBits();
            var permutation = Vector256.LoadUnsafe(ref permutations, mask * 8);
            Avx2.PermuteVar8x32(lanes + Vector256.Create(k), permutation).StoreUnsafe(ref positionsOut, (nuint)count);
            Avx2.PermuteVar8x32(chunk, permutation).StoreUnsafe(ref keptOut, (nuint)count);
            count += BitOperations.PopCount(mask);
        }
        return (count, k);
    }

    /// <summary>
    /// <see cref="Compress"/> of values [<paramref name="from"/>, end) after <paramref name="count"/> kept: the tail
    /// of the vector forms, and the whole on processors without AVX2. Every value is written and the count moved past
    /// the kept ones only, so that no branch depends on the data (a ReLU's outputs are positive about half the time,
    /// a branch's worst case).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static int CompressScalar(ReadOnlySpan<float> values, Span<int> positions, Span<float> kept, bool positiveOnly, int count = 0, int from = 0)
    {
        for (int k = from; k < values.Length; k++)
        {
            float value = values[k];
            positions[count] = k;
            kept[count] = value;
            count += (positiveOnly ? value >= Flush.SmallestNormal : !(MathF.Abs(value) < Flush.SmallestNormal)) ? 1 : 0;
        }
        return count;
    }

    /// <summary>For each mask of 8 lanes, the lanes set, in order, then zeros: 256 permutations of 8 (AVX2's compress).</summary>
    internal static readonly int[] FrontPermutations = MakeFrontPermutations();

    static int[] MakeFrontPermutations()
    {
        var table = new int[256 * 8];
        for (int mask = 0; mask < 256; mask++)
            for (int lane = 0, front = 0; lane < 8; lane++)
                if ((mask & (1 << lane)) != 0) table[mask * 8 + front++] = lane;
        return table;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // for every row of every batch
    void Reserve(int entries)
    {
        if (Rows + 2 > _rowStarts.Length) Array.Resize(ref _rowStarts, Math.Max(4, _rowStarts.Length * 2));
        int needed = _rowStarts[Rows] + entries + Vector512<int>.Count;
        if (needed > _positions.Length)
        {
            int size = Math.Max(needed, (int)Math.Min(Array.MaxLength, 2L * _positions.Length));
            Array.Resize(ref _positions, size);
            Array.Resize(ref _values, size);
        }
    }
}
