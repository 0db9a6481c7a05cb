using System.Runtime.CompilerServices;
using Microsoft.ML;

namespace MlNetMnist.DataViews;

/// <summary>
/// The lesson's Dataset: rows of (features, label) held in one contiguous row-major buffer, read by single index
/// or by a list of indices. Built from arrays or, in one cursor pass, from any IDataView with a known-size
/// float vector column and a key or integer label column.
/// </summary>
public sealed class Dataset : IDataset
{
    readonly float[] _features;
    readonly int[] _labels;
    readonly Lazy<SparseFeatures> _sparse;

    /// <param name="features">Count x featureCount values, row-major.</param>
    /// <param name="labels">Class index of each row.</param>
    /// <param name="featureCount">Values per row.</param>
    /// <param name="classCount">Number of classes; null: the largest label + 1.</param>
    public Dataset(float[] features, int[] labels, int featureCount, int? classCount = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        if (featureCount <= 0) throw new ArgumentOutOfRangeException(nameof(featureCount), featureCount, "Rows need at least one feature.");
        if (features.Length != (long)labels.Length * featureCount)
            throw new ArgumentException($"{features.Length} feature values do not make {labels.Length} rows of {featureCount}.", nameof(features));
        int maxLabel = labels.Length == 0 ? -1 : labels.Max();
        ClassCount = classCount ?? maxLabel + 1;
        for (int i = 0; i < labels.Length; i++)
            if (labels[i] < 0 || labels[i] >= ClassCount)
                throw new ArgumentException($"Label {labels[i]} at row {i} is outside 0..{ClassCount - 1}.", nameof(labels));
        _features = features;
        _labels = labels;
        FeatureCount = featureCount;
        _sparse = new(BuildSparse);
    }

    public int Count => _labels.Length;

    public int FeatureCount { get; }

    /// <summary>Number of classes: the label's key count, or the largest label + 1.</summary>
    public int ClassCount { get; }

    /// <summary>Row <paramref name="index"/>: its features (a view into the buffer) and class index.</summary>
    public (ReadOnlyMemory<float> Features, int Label) this[int index] =>
        ((uint)index < (uint)Count ? _features.AsMemory(index * FeatureCount, FeatureCount) : throw new ArgumentOutOfRangeException(nameof(index)),
         _labels[index]);

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
        _features.AsSpan(index * FeatureCount, FeatureCount).CopyTo(features);
        return _labels[index];
    }

    /// <summary>
    /// The share of nonzero values in up to <paramref name="sampleRows"/> rows spread evenly over the dataset: whether
    /// sparse batches pay (a nonzero takes 8 bytes in <see cref="Sparse"/>, a dense value 4).
    /// </summary>
    public double NonzeroShare(int sampleRows = 1000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sampleRows, 1);
        int rows = Math.Min(Count, sampleRows);
        if (rows == 0) return 0;
        long nonzero = 0;
        for (int i = 0; i < rows; i++)
            foreach (float x in _features.AsSpan((int)((long)i * Count / rows) * FeatureCount, FeatureCount))
                if (x != 0) nonzero++;
        return (double)nonzero / ((long)rows * FeatureCount);
    }

    /// <summary>Row <paramref name="index"/>'s class index.</summary>
    internal int Label(int index) => _labels[index];

    /// <summary>
    /// Every row's nonzero features, built on first use (one pass over the rows) and kept: sparse batches copy
    /// a row's few nonzero values from it instead of compressing the dense row every epoch.
    /// </summary>
    public SparseFeatures Sparse => _sparse.Value;

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
        int guess = (int)Math.Min(Array.MaxLength - 64L, (long)(_features.Length * Math.Min(1, NonzeroShare() * 1.1)));
        var sparse = new SparseFeatures(FeatureCount, Count, entryCapacity: guess);
        for (int i = 0; i < Count; i++) sparse.AppendDense(_features.AsSpan(i * FeatureCount, FeatureCount));
        return sparse;
    }

    /// <summary>Reads <paramref name="data"/> once into memory.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type (ML.NET's schema-mismatch wording).</exception>
    /// <exception cref="InvalidDataException">A NaN or infinite feature, a missing key or a label beyond the key count; names column and row.</exception>
    public static Dataset FromDataView(IDataView data, string featureColumn = "Features", string labelColumn = "Label")
    {
        using var reader = new RowReader(data, featureColumn, labelColumn);
        int f = reader.FeatureCount;
        long? known = data.GetRowCount();
        var features = new float[checked((int)(known ?? 1024) * f)];
        var labels = new int[known ?? 1024];
        int rows = 0;
        while (true)
        {
            if (rows == labels.Length)
            {
                Array.Resize(ref labels, Math.Max(1024, rows * 2));
                Array.Resize(ref features, checked(labels.Length * f));
            }
            if (!reader.Next(features.AsSpan(rows * f, f), out labels[rows])) break;
            rows++;
        }
        if (rows < labels.Length)
        {
            Array.Resize(ref labels, rows);
            Array.Resize(ref features, rows * f);
        }
        return new Dataset(features, labels, f, reader.KeyCount);
    }
}
