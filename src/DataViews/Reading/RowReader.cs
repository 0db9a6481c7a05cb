using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetMnist.DataViews;

/// <summary>
/// Reads (features, class index) rows from an IDataView cursor: a known-size Vector&lt;Single&gt; feature column and
/// a key (raw 1-based) or integer label column. Checks the schema up front and every value as it goes, with
/// errors that name the column and the row.
/// </summary>
public sealed class RowReader : IDisposable
{
    readonly IDataView _data;
    readonly DataViewRowCursor _cursor;
    readonly ValueGetter<VBuffer<float>> _features;
    readonly Func<long> _label;
    readonly string _featureColumn, _labelColumn;
    readonly int? _keyCount;
    VBuffer<float> _buffer;

    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type (ML.NET's schema-mismatch wording).</exception>
    public RowReader(IDataView data, string featureColumn, string labelColumn)
    {
        ArgumentNullException.ThrowIfNull(data);
        var feature = data.Schema.GetColumnOrNull(featureColumn)
            ?? throw SchemaMismatch("feature", featureColumn, "column not found");
        if (feature.Type is not VectorDataViewType { IsKnownSize: true } vector || vector.ItemType != NumberDataViewType.Single)
            throw SchemaMismatch("feature", featureColumn, $"expected known-size vector of Single, got {feature.Type}");
        var label = data.Schema.GetColumnOrNull(labelColumn)
            ?? throw SchemaMismatch("label", labelColumn, "column not found");
        FeatureCount = vector.Size;
        _featureColumn = featureColumn;
        _labelColumn = labelColumn;
        _data = data;
        _cursor = data.GetRowCursor([feature, label]);
        _features = _cursor.GetGetter<VBuffer<float>>(feature);
        (_label, _keyCount) = LabelGetter(_cursor, label);
    }

    public int FeatureCount { get; }

    /// <summary>The most classes an integer label can make (labels 0 to this - 1): a class index is an int.</summary>
    public const int MaxIntegerClasses = int.MaxValue;

    /// <summary>The label's key count, or null for an integer label.</summary>
    public int? KeyCount => _keyCount;

    /// <summary>Rows read so far.</summary>
    public long Row { get; private set; }

    static ArgumentOutOfRangeException SchemaMismatch(string role, string column, string what) =>
        new(column, $"Schema mismatch for {role} column '{column}': {what}.");

    (Func<long>, int?) LabelGetter(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        Func<long> Make<T>(Func<T, long> convert)
        {
            var getter = cursor.GetGetter<T>(column);
            T value = default!;
            return () => { getter(ref value); return convert(value); };
        }
        return column.Type switch
        {
            KeyDataViewType key when key.Count > int.MaxValue =>
                throw SchemaMismatch("label", column.Name, $"a key type of {key.Count} values; at most {int.MaxValue} classes are supported"),
            KeyDataViewType key when key.RawType == typeof(uint) => (Make<uint>(v => (long)v - 1), (int)key.Count),
            KeyDataViewType key when key.RawType == typeof(byte) => (Make<byte>(v => (long)v - 1), (int)key.Count),
            KeyDataViewType key when key.RawType == typeof(ushort) => (Make<ushort>(v => (long)v - 1), (int)key.Count),
            KeyDataViewType key when key.RawType == typeof(ulong) => (Make<ulong>(v => (long)v - 1), (int)key.Count),
            var t when t == NumberDataViewType.Byte => (Make<byte>(v => v), null),
            var t when t == NumberDataViewType.SByte => (Make<sbyte>(v => v), null),
            var t when t == NumberDataViewType.Int16 => (Make<short>(v => v), null),
            var t when t == NumberDataViewType.UInt16 => (Make<ushort>(v => v), null),
            var t when t == NumberDataViewType.Int32 => (Make<int>(v => v), null),
            var t when t == NumberDataViewType.UInt32 => (Make<uint>(v => v), null),
            var t when t == NumberDataViewType.Int64 => (Make<long>(v => v), null),
            var t when t == NumberDataViewType.UInt64 => (Make<ulong>(v => v <= long.MaxValue ? (long)v : throw LabelBeyondTheClasses(v)), null),
            _ => throw SchemaMismatch("label", column.Name, $"expected KeyType or integer, got {column.Type}"),
        };
    }

    InvalidDataException LabelBeyondTheClasses<T>(T value) => new(string.Create(CultureInfo.InvariantCulture,
        $"Label column '{_labelColumn}' holds {value} at row {Row}: an integer label is a class index, and at most {MaxIntegerClasses} classes (0 to {MaxIntegerClasses - 1}) are supported."));

    /// <summary>Reads the next row into <paramref name="features"/>; false at the end.</summary>
    /// <exception cref="InvalidDataException">A NaN or infinite feature, a missing key or a label outside the classes.</exception>
    public bool Next(Span<float> features, out int label)
    {
        label = 0;
        if (!_cursor.MoveNext()) return false;
        _features(ref _buffer);
        _buffer.CopyTo(features);
        long value = _label();
        // One vectorised sum finds a non-finite value fast; the scan then says where.
        if (!float.IsFinite(System.Numerics.Tensors.TensorPrimitives.Sum(features)) && FirstNonFinite(features) is var index and >= 0)
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"Feature column '{_featureColumn}' holds {features[index]} at row {Row}, slot {index}: features must be finite."));
        if (value < 0)
            throw new InvalidDataException(_keyCount is null
                ? $"Label column '{_labelColumn}' holds {value} at row {Row}: class indices start at 0."
                : $"Label column '{_labelColumn}' has a missing key at row {Row}.");
        if (_keyCount is int keyCount && value >= keyCount)
            throw new InvalidDataException($"Label column '{_labelColumn}' holds raw key {value + 1} at row {Row}, beyond its key count {keyCount}.");
        if (value >= MaxIntegerClasses)
            throw LabelBeyondTheClasses(value);
        label = (int)value;
        Row++;
        return true;
    }

    static int FirstNonFinite(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i])) return i;
        return -1;
    }

    /// <summary>
    /// The label column's class count without reading the features: its key count, or the largest integer label + 1
    /// (one pass over that column alone, on a cursor of its own); and the row count.
    /// </summary>
    public (int ClassCount, long Rows) CountClassesAndRows()
    {
        var label = _data.Schema[_labelColumn];
        using var cursor = _data.GetRowCursor([label]);
        var (get, keyCount) = LabelGetter(cursor, label);
        long max = -1;
        for (Row = 0; cursor.MoveNext(); Row++)
            if (keyCount is null) max = Math.Max(max, get());
        return ((int)Math.Min(keyCount ?? max + 1, int.MaxValue), Row);
    }

    public void Dispose() => _cursor.Dispose();
}
