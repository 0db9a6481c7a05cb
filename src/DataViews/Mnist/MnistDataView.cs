using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetMnist.DataViews;

/// <summary>
/// A range of an <see cref="IdxImageSet"/> as a streaming IDataView: Label (key of ClassCount, key values
/// "0".."9") and Pixels (known-size Vector&lt;byte&gt;). The cursor reads the IDX bytes in place; no row is
/// copied until a getter asks for it.
/// </summary>
public sealed class MnistDataView : IDataView
{
    public const string LabelColumnName = "Label";
    public const string PixelsColumnName = "Pixels";

    readonly IdxImageSet _set;
    readonly int _start;
    readonly int _count;

    public MnistDataView(IdxImageSet set, int start, int count)
    {
        ArgumentNullException.ThrowIfNull(set);
        if (start < 0 || count < 0 || start + count > set.Count)
            throw new ArgumentOutOfRangeException(nameof(count), $"Rows {start}..{start + count} are outside the {set.Count} items of '{set.Images.Path}'.");
        _set = set;
        _start = start;
        _count = count;
        Schema = BuildSchema(set.ClassCount, set.PixelCount);
    }

    static DataViewSchema BuildSchema(int classCount, int pixelCount)
    {
        var keyValues = new DataViewSchema.Annotations.Builder();
        var names = Enumerable.Range(0, classCount).Select(i => i.ToString().AsMemory()).ToArray();
        keyValues.Add("KeyValues", new VectorDataViewType(TextDataViewType.Instance, classCount),
            (ref VBuffer<ReadOnlyMemory<char>> value) => value = new VBuffer<ReadOnlyMemory<char>>(names.Length, names));
        var builder = new DataViewSchema.Builder();
        builder.AddColumn(LabelColumnName, new KeyDataViewType(typeof(uint), classCount), keyValues.ToAnnotations());
        builder.AddColumn(PixelsColumnName, new VectorDataViewType(NumberDataViewType.Byte, pixelCount));
        return builder.ToSchema();
    }

    public DataViewSchema Schema { get; }

    /// <summary>Rows are read in file order; ML.NET's ShuffleRows shuffles when asked.</summary>
    public bool CanShuffle => false;

    public long? GetRowCount() => _count;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new Cursor(this, columnsNeeded.Select(c => c.Index).ToHashSet());

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    sealed class Cursor : DataViewRowCursor
    {
        readonly MnistDataView _view;
        readonly HashSet<int> _active;
        long _position = -1;

        public Cursor(MnistDataView view, HashSet<int> active)
        {
            _view = view;
            _active = active;
        }

        public override DataViewSchema Schema => _view.Schema;

        public override long Position => _position;

        public override long Batch => 0;

        int Item => _view._start + checked((int)_position);

        public override bool MoveNext()
        {
            if (_position + 1 >= _view._count)
            {
                _position = _view._count;
                return false;
            }
            _position++;
            return true;
        }

        public override bool IsColumnActive(DataViewSchema.Column column) => _active.Contains(column.Index);

        public override ValueGetter<DataViewRowId> GetIdGetter() =>
            (ref DataViewRowId id) => id = new DataViewRowId((ulong)Item, 0);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (!IsColumnActive(column))
                throw new InvalidOperationException($"Column '{column.Name}' was not requested from this cursor.");
            Delegate getter = column.Name switch
            {
                LabelColumnName => (ValueGetter<uint>)((ref uint value) => value = (uint)_view._set.Labels.Item(Item)[0] + 1),
                PixelsColumnName => (ValueGetter<VBuffer<byte>>)GetPixels,
                _ => throw new ArgumentOutOfRangeException(nameof(column), $"No column '{column.Name}' in the MNIST view."),
            };
            return getter as ValueGetter<TValue>
                ?? throw new InvalidOperationException($"Column '{column.Name}' is {column.Type}, not {typeof(TValue).Name}.");
        }

        void GetPixels(ref VBuffer<byte> value)
        {
            var pixels = _view._set.Images.Item(Item);
            var editor = VBufferEditor.Create(ref value, pixels.Length);
            pixels.CopyTo(editor.Values);
            value = editor.Commit();
        }
    }
}
