using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Microsoft.ML;

namespace MlNetMnist.DataViews;

/// <summary>
/// The lesson's Dataset: rows of (features, label), read by single index or by a list of indices. Built from arrays
/// (one contiguous row-major buffer) or, in one cursor pass, from any IDataView with a known-size float vector column
/// and a key or integer label column; mostly-zero data read that way is kept as each row's nonzero values only
/// (<see cref="Sparse"/>: MNIST keeps a fifth of its values).
/// </summary>
public sealed class Dataset : IDataset
{
    /// <summary>Rows that decide, when reading an IDataView, whether the data is kept sparse.</summary>
    const int SampleRows = 1000;

    readonly float[]? _dense; // row-major, unless the rows are kept sparse
    readonly int[] _labels;
    readonly float[]? _targets, _weights; // per row: regression targets, example weights; null when absent
    SparseFeatures? _sparse;  // the rows when kept sparse; else a copy built on first use

    /// <param name="features">Count x featureCount values, row-major.</param>
    /// <param name="labels">Class index of each row.</param>
    /// <param name="featureCount">Values per row.</param>
    /// <param name="classCount">Number of classes; null: the largest label + 1.</param>
    /// <param name="targets">Each row's regression target (the labels then all 0), or null.</param>
    /// <param name="weights">Each row's example weight, or null (all 1).</param>
    public Dataset(float[] features, int[] labels, int featureCount, int? classCount = null, float[]? targets = null, float[]? weights = null)
        : this(features, null, labels, featureCount, classCount, targets, weights)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.Length != (long)labels.Length * featureCount)
            throw new ArgumentException($"{features.Length} feature values do not make {labels.Length} rows of {featureCount}.", nameof(features));
    }

    Dataset(float[]? dense, SparseFeatures? sparse, int[] labels, int featureCount, int? classCount, float[]? targets, float[]? weights)
    {
        if (targets is not null && targets.Length != labels.Length) throw new ArgumentException($"{targets.Length} targets for {labels.Length} rows.", nameof(targets));
        if (weights is not null && weights.Length != labels.Length) throw new ArgumentException($"{weights.Length} weights for {labels.Length} rows.", nameof(weights));
        (_targets, _weights) = (targets, weights);
        ArgumentNullException.ThrowIfNull(labels);
        if (featureCount <= 0) throw new ArgumentOutOfRangeException(nameof(featureCount), featureCount, "Rows need at least one feature.");
        int maxLabel = labels.Length == 0 ? -1 : labels.Max();
        ClassCount = classCount ?? maxLabel + 1;
        for (int i = 0; i < labels.Length; i++)
            if (labels[i] < 0 || labels[i] >= ClassCount)
                throw new ArgumentException($"Label {labels[i]} at row {i} is outside 0..{ClassCount - 1}.", nameof(labels));
        (_dense, _sparse, _labels, FeatureCount) = (dense, sparse, labels, featureCount);
    }

    public int Count => _labels.Length;

    public int FeatureCount { get; }

    /// <summary>Number of classes: the label's key count, or the largest label + 1.</summary>
    public int ClassCount { get; }

    /// <summary>Row <paramref name="index"/>: its features (a view into the buffer, or a copy when the rows are kept sparse) and class index.</summary>
    public (ReadOnlyMemory<float> Features, int Label) this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"There are {Count} rows.");
            if (_dense is not null) return (_dense.AsMemory(index * FeatureCount, FeatureCount), _labels[index]);
            var row = new float[FeatureCount];
            _sparse!.CopyTo(index, row);
            return (row, _labels[index]);
        }
    }

    /// <summary>The rows at <paramref name="indices"/>, collated: features [n x FeatureCount] and labels [n].</summary>
    public (float[] Features, int[] Labels) this[IReadOnlyList<int> indices]
    {
        get
        {
            var features = new float[indices.Count * FeatureCount];
            var labels = new int[indices.Count];
            for (int i = 0; i < indices.Count; i++)
                labels[i] = CopyRow(indices[i], features.AsSpan(i * FeatureCount, FeatureCount));
            return (features, labels);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int CopyRow(int index, Span<float> features)
    {
        if (_dense is not null) _dense.AsSpan(index * FeatureCount, FeatureCount).CopyTo(features);
        else _sparse!.CopyTo(index, features);
        return _labels[index];
    }

    /// <summary>
    /// The share of nonzero values: exact when the rows are kept sparse, else over up to <paramref name="sampleRows"/>
    /// rows spread evenly over the dataset. Whether sparse batches pay (a nonzero takes 8 bytes sparse, a dense value 4).
    /// </summary>
    public double NonzeroShare(int sampleRows = SampleRows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sampleRows, 1);
        if (Count == 0) return 0;
        if (_dense is null) return (double)_sparse!.Count / ((long)Count * FeatureCount);
        int rows = Math.Min(Count, sampleRows);
        long nonzero = 0;
        for (int i = 0; i < rows; i++)
            nonzero += CountNonzero(_dense.AsSpan((int)((long)i * Count / rows) * FeatureCount, FeatureCount));
        return (double)nonzero / ((long)rows * FeatureCount);
    }

    static int CountNonzero(ReadOnlySpan<float> values) => values.Length - values.Count(0f);

    /// <summary>Whether the rows are kept as their nonzero values only (read from an IDataView of mostly-zero data).</summary>
    internal bool KeptSparse => _dense is null;

    /// <summary>Row <paramref name="index"/>'s class index.</summary>
    internal int Label(int index) => _labels[index];

    /// <summary>Each row's regression target, or null when the rows are classified.</summary>
    public ReadOnlyMemory<float>? Targets => Optional(_targets);

    /// <summary>Each row's example weight, or null when every row weighs 1.</summary>
    public ReadOnlyMemory<float>? Weights => Optional(_weights);

    // Spelled out: a null array converts to empty memory (the array's own conversion), not to a null one.
    static ReadOnlyMemory<float>? Optional(float[]? values) => values is null ? (ReadOnlyMemory<float>?)null : values.AsMemory();

    /// <summary>The rows at <paramref name="indices"/> as a dataset of their own, dense, with their targets and weights.</summary>
    public Dataset Subset(IReadOnlyList<int> indices)
    {
        var (features, labels) = this[indices];
        float[]? Pick(float[]? values) => values is null ? null : indices.Select(i => values[i]).ToArray();
        return new Dataset(features, labels, FeatureCount, ClassCount, Pick(_targets), Pick(_weights));
    }

    /// <summary>
    /// Every row's nonzero features: the rows themselves when kept sparse, else a copy built on first use (one pass
    /// over the rows) and kept, so that sparse batches copy a row's few nonzero values instead of compressing the
    /// dense row every epoch.
    /// </summary>
    public SparseFeatures Sparse => _sparse ?? LazyInitializer.EnsureInitialized(ref _sparse, BuildSparse);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int AppendSparseRow(int index, SparseFeatures target)
    {
        var sparse = Sparse;
        if (target.FeatureCount != FeatureCount)
            throw new ArgumentException($"The target holds rows of {target.FeatureCount} features; this dataset's have {FeatureCount}.", nameof(target));
        target.AppendValid(sparse.Row(index));
        return _labels[index];
    }

    SparseFeatures BuildSparse()
    {
        // Sized from a sample of the rows, with a margin, so that it rarely grows (a resize copies every value so far).
        var sparse = new SparseFeatures(FeatureCount, Count, entryCapacity: EntryGuess(Count, FeatureCount, NonzeroShare()));
        for (int i = 0; i < Count; i++) sparse.AppendDense(_dense.AsSpan(i * FeatureCount, FeatureCount));
        return sparse;
    }

    static int EntryGuess(long rows, int featureCount, double nonzeroShare) =>
        (int)Math.Min(Array.MaxLength - 64L, (long)(rows * featureCount * Math.Min(1, nonzeroShare * 1.1)));

    /// <summary>
    /// Reads <paramref name="data"/> once into memory: as each row's nonzero values when at most half of the first
    /// rows' values are nonzero (kept sparse), else as one dense buffer.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type (ML.NET's schema-mismatch wording).</exception>
    /// <exception cref="InvalidDataException">A NaN or infinite feature, a missing key or a label beyond the key count; names column and row.</exception>
    public static Dataset FromDataView(IDataView data, string featureColumn = "Features", string labelColumn = "Label", string? weightColumn = null) =>
        TryFromDataView(data, long.MaxValue, out var dataset, featureColumn, labelColumn, weightColumn) ? dataset : throw new UnreachableException();

    /// <summary>
    /// <see cref="FromDataView"/>, unless the rows would take more than <paramref name="maxBytes"/> in memory: then
    /// false, decided from the first rows when the view knows its row count, else as soon as the rows read pass the limit.
    /// </summary>
    public static bool TryFromDataView(IDataView data, long maxBytes, [NotNullWhen(true)] out Dataset? dataset,
        string featureColumn = "Features", string labelColumn = "Label", string? weightColumn = null)
    {
        using var reader = new RowReader(data, featureColumn, labelColumn, weightColumn);
        int f = reader.FeatureCount;
        long? count = data.GetRowCount();
        long expected = count ?? SampleRows;
        dataset = null;
        var labels = new int[Math.Max(Math.Min(expected, Array.MaxLength), 1)];
        // The first rows, dense, decide how the rest are kept.
        var first = new float[checked(Math.Min(expected, SampleRows) * f)];
        int rows = 0;
        var extras = new RowExtras(reader);
        while (rows < SampleRows && Read(reader, ref first, ref labels, rows, f, Budget.None, out _)) { extras.Add(reader); rows++; }
        long nonzero = 0;
        for (int r = 0; r < rows; r++) nonzero += CountNonzero(first.AsSpan(r * f, f));
        double share = rows == 0 ? 1 : (double)nonzero / ((long)rows * f);
        bool sparse = share <= 0.5;
        double bytesPerRow = sizeof(int) + (reader.IsRegression ? sizeof(float) : 0) + (reader.IsWeighted ? sizeof(float) : 0) + (sparse ? share * f * (sizeof(float) + sizeof(int)) + sizeof(int) : f * sizeof(float));
        if (count is long known && known * bytesPerRow > maxBytes) return false;
        var budget = new Budget(maxBytes, bytesPerRow);
        dataset = sparse ? ReadSparse(reader, extras, first, labels, rows, f, EntryGuess(expected, f, share), budget) : ReadDense(reader, extras, first, labels, rows, f, budget);
        return dataset is not null;
    }

    /// <summary>The targets and weights of the rows read, when the reader has them.</summary>
    sealed class RowExtras(RowReader reader)
    {
        readonly List<float>? _targets = reader.IsRegression ? [] : null, _weights = reader.IsWeighted ? [] : null;

        public void Add(RowReader row)
        {
            _targets?.Add(row.Target);
            _weights?.Add(row.Weight);
        }

        public float[]? Targets => _targets?.ToArray();

        public float[]? Weights => _weights?.ToArray();
    }

    /// <summary>Whether rows read so far (estimated from the first rows' size) still fit in memory.</summary>
    readonly record struct Budget(long MaxBytes, double BytesPerRow)
    {
        public static Budget None => new(long.MaxValue, 0);

        public bool Holds(long rows) => rows * BytesPerRow <= MaxBytes;
    }

    static Dataset? ReadSparse(RowReader reader, RowExtras extras, float[] first, int[] labels, int rows, int f, int entryGuess, Budget budget)
    {
        var sparse = new SparseFeatures(f, labels.Length, entryGuess);
        for (int r = 0; r < rows; r++) sparse.AppendDense(first.AsSpan(r * f, f));
        var row = first.Length >= f ? first : new float[f];
        while (reader.Next(row.AsSpan(0, f), out int label))
        {
            extras.Add(reader);
            if (rows == labels.Length)
            {
                if (!budget.Holds(2L * rows)) return null;
                Array.Resize(ref labels, labels.Length * 2);
            }
            labels[rows++] = label;
            sparse.AppendDense(row.AsSpan(0, f));
        }
        Array.Resize(ref labels, rows);
        return new Dataset(null, sparse, labels, f, reader.KeyCount, extras.Targets, extras.Weights);
    }

    static Dataset? ReadDense(RowReader reader, RowExtras extras, float[] first, int[] labels, int rows, int f, Budget budget)
    {
        var features = first.Length >= labels.Length * f ? first : new float[checked(labels.Length * f)];
        if (features != first) first.AsSpan(0, rows * f).CopyTo(features);
        bool overBudget;
        while (Read(reader, ref features, ref labels, rows, f, budget, out overBudget)) { extras.Add(reader); rows++; }
        if (overBudget) return null;
        if (rows < labels.Length)
        {
            Array.Resize(ref labels, rows);
            Array.Resize(ref features, rows * f);
        }
        return new Dataset(features, null, labels, f, reader.KeyCount, extras.Targets, extras.Weights);
    }

    /// <summary>
    /// Reads the next row into row <paramref name="row"/> of the buffers, growing them only when a row is really there
    /// and the <paramref name="budget"/> holds the grown size (else false, with <paramref name="overBudget"/>).
    /// </summary>
    static bool Read(RowReader reader, ref float[] features, ref int[] labels, int row, int f, Budget budget, out bool overBudget)
    {
        overBudget = false;
        if (row * f < features.Length) return reader.Next(features.AsSpan(row * f, f), out labels[row]);
        var next = new float[f];
        if (!reader.Next(next, out int label)) return false;
        if (row == labels.Length)
        {
            if (overBudget = !budget.Holds(2L * row)) return false;
            Array.Resize(ref labels, labels.Length * 2);
        }
        Array.Resize(ref features, checked(labels.Length * f));
        next.CopyTo(features.AsSpan(row * f));
        labels[row] = label;
        return true;
    }
}
