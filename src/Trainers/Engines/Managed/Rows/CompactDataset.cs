using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Microsoft.ML;
using MlNetMnist.DataViews;

namespace MlNetMnist.Trainers.Engines.Managed;

/// <summary>
/// The managed engine's in-memory rows for mostly-zero data: each row's nonzero values and their positions
/// (<see cref="SparseFeatures"/>) and its class index. It serves the lesson's <see cref="IDataset"/> too, writing
/// rows out dense, so the lesson's DataLoader reads it like any dataset.
/// </summary>
public sealed class CompactDataset : IDataset
{
    /// <summary>Rows that decide, when reading an IDataView or sampling a dataset, the share of nonzero values.</summary>
    public const int SampleRows = 1000;

    readonly SparseFeatures _rows;
    readonly int[] _labels;

    CompactDataset(SparseFeatures rows, int[] labels, int classCount, RowValues? values) =>
        (_rows, _labels, ClassCount, Values) = (rows, labels, classCount, values);

    /// <inheritdoc/>
    public RowValues? Values { get; }

    public int Count => _labels.Length;

    public int FeatureCount => _rows.FeatureCount;

    /// <summary>Number of classes: the label's key count, or the largest label + 1.</summary>
    public int ClassCount { get; }

    /// <summary>The share of nonzero values over all rows.</summary>
    public double NonzeroShare => Count == 0 ? 0 : (double)_rows.Count / ((long)Count * FeatureCount);

    /// <summary>Row <paramref name="index"/>'s nonzero values and positions.</summary>
    public SparseRow Row(int index) => _rows.Row(index);

    /// <summary>Every row, as stored.</summary>
    public SparseFeatures Rows => _rows;

    /// <summary>Row <paramref name="index"/>'s class index.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Label(int index) => _labels[index];

    public int CopyRow(int index, Span<float> features)
    {
        _rows.CopyTo(index, features);
        return _labels[index];
    }

    /// <summary>
    /// The rows of <paramref name="data"/> kept compact, in one pass; <paramref name="nonzeroShare"/>, when the caller
    /// has sampled it already (<see cref="NonzeroShareOf(IDataset, int)"/>), sizes the storage.
    /// </summary>
    public static CompactDataset From(IDataset data, int classCount, double? nonzeroShare = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        var rows = new SparseFeatures(data.FeatureCount, data.Count, EntryGuess(data.Count, data.FeatureCount, nonzeroShare ?? NonzeroShareOf(data)));
        var labels = new int[data.Count];
        var row = new float[data.FeatureCount];
        for (int i = 0; i < data.Count; i++)
        {
            labels[i] = data.CopyRow(i, row);
            rows.AppendDense(row);
        }
        return new CompactDataset(rows, labels, classCount, data.Values);
    }

    /// <summary>
    /// The share of nonzero values over up to <paramref name="sampleRows"/> rows spread evenly over
    /// <paramref name="data"/>: whether compact rows pay (a nonzero takes 8 bytes compact, a dense value 4).
    /// </summary>
    public static double NonzeroShareOf(IDataset data, int sampleRows = SampleRows)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(sampleRows, 1);
        if (data is CompactDataset compact) return compact.NonzeroShare;
        if (data.Count == 0) return 0;
        int rows = Math.Min(data.Count, sampleRows);
        var row = new float[data.FeatureCount];
        long nonzero = 0;
        for (int i = 0; i < rows; i++)
        {
            data.CopyRow((int)((long)i * data.Count / rows), row);
            nonzero += CountNonzero(row);
        }
        return (double)nonzero / ((long)rows * data.FeatureCount);
    }

    /// <summary>The share of nonzero values in the first <paramref name="sampleRows"/> rows of <paramref name="data"/> (1 when it has none).</summary>
    public static double NonzeroShareOf(IDataView data, string featureColumn, string labelColumn, int sampleRows = SampleRows)
    {
        using var reader = new RowReader(data, featureColumn, labelColumn);
        var row = new float[reader.FeatureCount];
        long nonzero = 0;
        int rows = 0;
        while (rows < sampleRows && reader.Next(row, out _))
        {
            nonzero += CountNonzero(row);
            rows++;
        }
        return rows == 0 ? 1 : (double)nonzero / ((long)rows * reader.FeatureCount);
    }

    /// <summary>
    /// Reads <paramref name="data"/> once into compact rows, unless they would take more than <paramref name="maxBytes"/>:
    /// then false, decided before reading when the view knows its row count (estimated from its first rows), else as
    /// soon as the rows read pass the limit. <paramref name="nonzeroShare"/>: the first rows' share of nonzero values when
    /// the caller has sampled it already (<see cref="NonzeroShareOf(IDataView, string, string, int)"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type.</exception>
    /// <exception cref="InvalidDataException">A NaN or infinite feature, a missing key or a label beyond the key count; names column and row.</exception>
    public static bool TryFromDataView(IDataView data, long maxBytes, [NotNullWhen(true)] out CompactDataset? dataset,
        string featureColumn = "Features", string labelColumn = "Label", string? weightColumn = null, double? nonzeroShare = null)
    {
        dataset = null;
        double share = nonzeroShare ?? NonzeroShareOf(data, featureColumn, labelColumn);
        using var reader = new RowReader(data, featureColumn, labelColumn, weightColumn);
        var values = new RowValues.Builder(reader);
        int f = reader.FeatureCount;
        long? count = data.GetRowCount();
        if (count * BytesPerRow(share, f) > maxBytes) return false;
        var rows = new SparseFeatures(f, (int)Math.Min(count ?? SampleRows, Array.MaxLength), EntryGuess(count ?? SampleRows, f, share));
        var labels = new int[Math.Max((int)Math.Min(count ?? SampleRows, Array.MaxLength), 1)];
        var row = new float[f];
        int n = 0;
        while (reader.Next(row, out int label))
        {
            if (n == labels.Length) Array.Resize(ref labels, labels.Length * 2);
            labels[n++] = label;
            values.Add();
            rows.AppendDense(row);
            if ((long)rows.Count * (sizeof(float) + sizeof(int)) + (long)n * 2 * sizeof(int) > maxBytes) return false;
        }
        Array.Resize(ref labels, n);
        dataset = new CompactDataset(rows, labels, reader.KeyCount ?? (n == 0 ? 0 : labels.Max() + 1), values.Build());
        return true;
    }

    /// <summary>A row's bytes kept compact: its nonzero values and positions, its start and its label.</summary>
    static double BytesPerRow(double share, int featureCount) => share * featureCount * (sizeof(float) + sizeof(int)) + 2 * sizeof(int);

    // Sized from a sample of the rows, with a margin, so that the buffers rarely grow (a resize copies every value so far).
    static int EntryGuess(long rows, int featureCount, double nonzeroShare) =>
        (int)Math.Min(Array.MaxLength - 64L, (long)(rows * featureCount * Math.Min(1, nonzeroShare * 1.1)));

    static int CountNonzero(ReadOnlySpan<float> values) => values.Length - values.Count(0f);
}
