using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using Microsoft.ML;

namespace MlNetMnist.DataViews;

/// <summary>
/// The lesson's Dataset: rows of (features, label) in one contiguous row-major buffer, read by single index or by a
/// list of indices. Built from arrays or, in one cursor pass, from any IDataView with a known-size float vector column
/// and a key, integer or Boolean label column, or a Single label read as a regression target; each row's target and
/// example weight ride along as <see cref="Values"/>.
/// </summary>
public sealed class Dataset : IDataset
{
    readonly float[] _features; // Count x FeatureCount, row-major
    readonly int[] _labels;

    /// <param name="features">Count x featureCount values, row-major.</param>
    /// <param name="labels">Class index of each row.</param>
    /// <param name="featureCount">Values per row.</param>
    /// <param name="classCount">Number of classes; null: the largest label + 1.</param>
    /// <param name="values">Each row's regression target and example weight, or null.</param>
    public Dataset(float[] features, int[] labels, int featureCount, int? classCount = null, RowValues? values = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        if (featureCount <= 0) throw new ArgumentOutOfRangeException(nameof(featureCount), featureCount, "Rows need at least one feature.");
        if (features.Length != (long)labels.Length * featureCount)
            throw new ArgumentException($"{features.Length} feature values do not make {labels.Length} rows of {featureCount}.", nameof(features));
        ClassCount = classCount ?? (labels.Length == 0 ? 0 : labels.Max() + 1);
        for (int i = 0; i < labels.Length; i++)
            if (labels[i] < 0 || labels[i] >= ClassCount)
                throw new ArgumentException($"Label {labels[i]} at row {i} is outside 0..{ClassCount - 1}.", nameof(labels));
        if ((values?.Targets ?? values?.Weights) is { } perRow && perRow.Length != labels.Length)
            throw new ArgumentException($"{perRow.Length} targets or weights for {labels.Length} rows.", nameof(values));
        (_features, _labels, FeatureCount, Values) = (features, labels, featureCount, values);
    }

    /// <inheritdoc/>
    public RowValues? Values { get; }

    public int Count => _labels.Length;

    public int FeatureCount { get; }

    /// <summary>Number of classes: the label's key count, or the largest label + 1.</summary>
    public int ClassCount { get; }

    /// <summary>Row <paramref name="index"/>: its features (a view into the buffer) and class index.</summary>
    public (ReadOnlyMemory<float> Features, int Label) this[int index]
    {
        get
        {
            if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"There are {Count} rows.");
            return (_features.AsMemory(index * FeatureCount, FeatureCount), _labels[index]);
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

    public int CopyRow(int index, Span<float> features)
    {
        _features.AsSpan(index * FeatureCount, FeatureCount).CopyTo(features);
        return _labels[index];
    }

    /// <summary>Reads <paramref name="data"/> once into memory.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type (ML.NET's schema-mismatch wording).</exception>
    /// <exception cref="InvalidDataException">A NaN or infinite feature, a missing key or a label beyond the key count; names column and row.</exception>
    public static Dataset FromDataView(IDataView data, string featureColumn = "Features", string labelColumn = "Label", string? weightColumn = null) =>
        TryFromDataView(data, long.MaxValue, out var dataset, featureColumn, labelColumn, weightColumn) ? dataset : throw new UnreachableException();

    /// <summary>
    /// <see cref="FromDataView"/>, unless the rows would take more than <paramref name="maxBytes"/> in memory: then
    /// false, decided before reading when the view knows its row count, else as soon as the rows read pass the limit.
    /// </summary>
    public static bool TryFromDataView(IDataView data, long maxBytes, [NotNullWhen(true)] out Dataset? dataset,
        string featureColumn = "Features", string labelColumn = "Label", string? weightColumn = null)
    {
        using var reader = new RowReader(data, featureColumn, labelColumn, weightColumn);
        int f = reader.FeatureCount;
        long bytesPerRow = (long)f * sizeof(float) + sizeof(int) + (reader.IsRegression ? sizeof(float) : 0) + (reader.IsWeighted ? sizeof(float) : 0);
        var values = new RowValues.Builder(reader);
        long? count = data.GetRowCount();
        dataset = null;
        if (count * bytesPerRow > maxBytes) return false;
        var labels = new int[Math.Max(Math.Min(count ?? 1024, Array.MaxLength / Math.Max(f, 1)), 1)];
        var features = new float[checked(labels.Length * f)];
        int rows = 0;
        while (true)
        {
            if (rows == labels.Length)
            {
                // Grow only once a row is really there, and only within the budget.
                var next = new float[f];
                if (!reader.Next(next, out int label)) break;
                if ((2L * rows) * bytesPerRow > maxBytes) return false;
                Array.Resize(ref labels, labels.Length * 2);
                Array.Resize(ref features, checked(labels.Length * f));
                next.CopyTo(features.AsSpan(rows * f));
                labels[rows++] = label;
                values.Add();
                continue;
            }
            if (!reader.Next(features.AsSpan(rows * f, f), out labels[rows])) break;
            values.Add();
            rows++;
        }
        if (rows < labels.Length)
        {
            Array.Resize(ref labels, rows);
            Array.Resize(ref features, rows * f);
        }
        dataset = new Dataset(features, labels, f, reader.KeyCount, values.Build());
        return true;
    }
}
