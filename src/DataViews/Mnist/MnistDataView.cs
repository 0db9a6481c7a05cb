using System.Runtime.Intrinsics.X86;
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
        Schema = BuildSchema(set.ClassCount, set.PixelCount, set.Images.Dimensions[^1]);
    }

    /// <summary>
    /// Pixels carry slot names "r{row}c{column}" (ScalePixels passes them on): ML.NET's tools name features by them, and
    /// PermutationFeatureImportance's ITransformer overload cannot run on a feature column without them.
    /// </summary>
    static DataViewSchema BuildSchema(int classCount, int pixelCount, int columns)
    {
        var keyValues = new DataViewSchema.Annotations.Builder();
        var names = Enumerable.Range(0, classCount).Select(i => i.ToString().AsMemory()).ToArray();
        keyValues.Add("KeyValues", new VectorDataViewType(TextDataViewType.Instance, classCount),
            (ref VBuffer<ReadOnlyMemory<char>> value) => value = new VBuffer<ReadOnlyMemory<char>>(names.Length, names));
        var builder = new DataViewSchema.Builder();
        builder.AddColumn(LabelColumnName, new KeyDataViewType(typeof(uint), classCount), keyValues.ToAnnotations());
        var slotNames = new DataViewSchema.Annotations.Builder();
        var pixelNames = Enumerable.Range(0, pixelCount).Select(i => $"r{i / columns}c{i % columns}".AsMemory()).ToArray();
        slotNames.AddSlotNames(pixelCount, (ref VBuffer<ReadOnlyMemory<char>> value) => value = new VBuffer<ReadOnlyMemory<char>>(pixelNames.Length, pixelNames));
        builder.AddColumn(PixelsColumnName, new VectorDataViewType(NumberDataViewType.Byte, pixelCount), slotNames.ToAnnotations());
        return builder.ToSchema();
    }

    public DataViewSchema Schema { get; }

    /// <summary>Rows are read in file order; ML.NET's ShuffleRows shuffles when asked.</summary>
    public bool CanShuffle => false;

    public long? GetRowCount() => _count;

    /// <summary>Rows a parallel cursor takes at a time: the unit in which ML.NET's consolidator reassembles them in order.</summary>
    internal const int ChunkRows = 256;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new Cursor(this, columnsNeeded.Select(c => c.Index).ToHashSet(), first: 0, of: 1);

    /// <summary>
    /// Up to <paramref name="n"/> cursors that share out the rows in chunks of <see cref="ChunkRows"/>, round robin, each
    /// chunk's number as the cursor's Batch: so ML.NET can score on several threads (its scorers ask for this) with no
    /// thread of its own splitting one cursor, and its consolidator gives the rows back in file order.
    /// </summary>
    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
    {
        var active = columnsNeeded.Select(c => c.Index).ToHashSet();
        int cursors = Math.Clamp(n, 1, Math.Max(1, (_count + ChunkRows - 1) / ChunkRows));
        return Enumerable.Range(0, cursors).Select(i => (DataViewRowCursor)new Cursor(this, active, first: i, of: cursors)).ToArray();
    }

    sealed class Cursor : DataViewRowCursor
    {
        readonly MnistDataView _view;
        readonly HashSet<int> _active;
        readonly int _stride;    // chunks between this cursor's chunks: the number of cursors in its set
        long _position = -1;     // rows this cursor has moved over
        int _chunk, _row;        // the chunk being read and the row within the view

        public Cursor(MnistDataView view, HashSet<int> active, int first, int of)
        {
            _view = view;
            _active = active;
            _stride = of;
            _chunk = first;
            _row = first * ChunkRows - 1;
        }

        public override DataViewSchema Schema => _view.Schema;

        public override long Position => _position;

        public override long Batch => _chunk;

        int Item => _view._start + _row;

        public override bool MoveNext()
        {
            int next = _row + 1;
            if (next % ChunkRows == 0 && next > _chunk * ChunkRows) // this chunk is done: on to this cursor's next
            {
                _chunk += _stride;
                next = _chunk * ChunkRows;
            }
            if (next >= _view._count)
            {
                _row = _view._count;
                return false;
            }
            _row = next;
            _position++;
            PrefetchRow(next + RowsAhead);
            return true;
        }

        const int RowsAhead = 4;

        /// <summary>
        /// Asks for a coming row's pixels ahead of its getter. A scorer reads a row's bytes once, so without this they
        /// come from memory each time; asked for four rows early, they are in cache when the getter copies them.
        /// </summary>
        unsafe void PrefetchRow(int row)
        {
            if (!Sse.IsSupported || row >= _view._count) return;
            var pixels = _view._set.Images.Item(_view._start + row);
            fixed (byte* start = pixels)
                for (int line = 0; line < pixels.Length; line += 64)
                    Sse.Prefetch0(start + line);
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
