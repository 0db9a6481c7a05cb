using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetMnist.DataViews;

/// <summary>
/// Reads (features, class index) rows from an IDataView cursor: a known-size Vector&lt;Single&gt; feature column and
/// a key (raw 1-based), integer or Boolean (false 0, true 1) label column, or a Single label column read as a
/// regression <see cref="Target"/>; and an optional Single example-weight column (<see cref="Weight"/>). Checks the schema
/// up front and every value as it goes, with errors that name the column and the row.
/// </summary>
public sealed class RowReader : IDisposable
{
    readonly IDataView _data;
    readonly DataViewRowCursor _cursor;
    readonly ValueGetter<VBuffer<float>> _features;
    readonly Func<long> _label;
    readonly ValueGetter<float>? _target, _weight;
    readonly string _featureColumn, _labelColumn;
    readonly string? _weightColumn;
    readonly int? _keyCount;
    VBuffer<float> _buffer;

    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type (ML.NET's schema-mismatch wording).</exception>
    public RowReader(IDataView data, string featureColumn, string labelColumn, string? weightColumn = null)
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
        var weight = weightColumn is null ? (DataViewSchema.Column?)null : data.Schema.GetColumnOrNull(weightColumn)
            ?? throw SchemaMismatch("weight", weightColumn, "column not found");
        if (weight is { } w && w.Type != NumberDataViewType.Single)
            throw SchemaMismatch("weight", weightColumn!, $"expected Single, got {w.Type}");
        _weightColumn = weightColumn;
        _cursor = data.GetRowCursor(weight is { } used ? [feature, label, used] : [feature, label]);
        _features = _cursor.GetGetter<VBuffer<float>>(feature);
        if (label.Type == NumberDataViewType.Single)
            (_target, _label, _keyCount) = (_cursor.GetGetter<float>(label), () => 0, 1);
        else
            (_label, _keyCount) = LabelGetter(_cursor, label);
        if (weight is { } weighted) _weight = _cursor.GetGetter<float>(weighted);
    }

    /// <summary>Whether the label is a Single read as a regression target (every row's class index is then 0).</summary>
    public bool IsRegression => _target is not null;

    /// <summary>Whether the view has an example-weight column.</summary>
    public bool IsWeighted => _weight is not null;

    /// <summary>The last row's regression target (0 when classifying).</summary>
    public float Target { get; private set; }

    /// <summary>The last row's example weight (1 without a weight column).</summary>
    public float Weight { get; private set; } = 1f;

    public int FeatureCount { get; }

    /// <summary>The most classes an integer label can make (labels 0 to this - 1): a class index is an int.</summary>
    public const int MaxIntegerClasses = int.MaxValue;

    /// <summary>The label's key count (2 for a Boolean label, 1 for a regression target), or null for an integer label.</summary>
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
            BooleanDataViewType => (Make<bool>(v => v ? 1 : 0), 2),
            var t when t == NumberDataViewType.Byte => (Make<byte>(v => v), null),
            var t when t == NumberDataViewType.SByte => (Make<sbyte>(v => v), null),
            var t when t == NumberDataViewType.Int16 => (Make<short>(v => v), null),
            var t when t == NumberDataViewType.UInt16 => (Make<ushort>(v => v), null),
            var t when t == NumberDataViewType.Int32 => (Make<int>(v => v), null),
            var t when t == NumberDataViewType.UInt32 => (Make<uint>(v => v), null),
            var t when t == NumberDataViewType.Int64 => (Make<long>(v => v), null),
            var t when t == NumberDataViewType.UInt64 => (Make<ulong>(v => v <= long.MaxValue ? (long)v : throw LabelBeyondTheClasses(v)), null),
            _ => throw SchemaMismatch("label", column.Name, $"expected KeyType, integer, Boolean or Single, got {column.Type}"),
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
        if (_target is not null)
        {
            float target = 0;
            _target(ref target);
            if (!float.IsFinite(target))
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"Label column '{_labelColumn}' holds {target} at row {Row}: a regression target must be finite."));
            Target = target;
        }
        if (_weight is not null)
        {
            float weight = 0;
            _weight(ref weight);
            if (!(weight >= 0) || !float.IsFinite(weight))
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"Weight column '{_weightColumn}' holds {weight} at row {Row}: an example weight must be a finite number >= 0."));
            Weight = weight;
        }
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
        var (get, keyCount) = IsRegression ? ((Func<long>)(() => 0), (int?)1) : LabelGetter(cursor, label);
        long max = -1;
        for (Row = 0; cursor.MoveNext(); Row++)
            if (keyCount is null) max = Math.Max(max, get());
        return ((int)Math.Min(keyCount ?? max + 1, int.MaxValue), Row);
    }

    public void Dispose() => _cursor.Dispose();
}
