using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetMnist.Host.Bench;

/// <summary>
/// Friedman #1 as a streaming IDataView that holds nothing: y = 10 sin(π x1 x2) + 20 (x3 - 0.5)² + 10 x4 + 5 x5 + N(0, 1),
/// x ~ U(0, 1)^10 (x6..x10 are noise features). Row i's values come from its own generator, seeded by the view's seed
/// and i, so every cursor, in any order, reads the same rows; two seeds make two disjoint-looking samples (train, test).
/// Columns: Features (10 Singles) and Label (Single).
/// </summary>
internal sealed class FriedmanDataView : IDataView
{
    public const int FeatureCount = 10;

    readonly long _rows;
    readonly ulong _seed;

    public FriedmanDataView(long rows, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        _rows = rows;
        _seed = (ulong)seed * 0x9E3779B97F4A7C15UL;
        var builder = new DataViewSchema.Builder();
        builder.AddColumn("Features", new VectorDataViewType(NumberDataViewType.Single, FeatureCount));
        builder.AddColumn("Label", NumberDataViewType.Single);
        Schema = builder.ToSchema();
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _rows;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => new Cursor(this);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => [new Cursor(this)];

    /// <summary>Row <paramref name="row"/>: its ten features into <paramref name="features"/>, its label returned.</summary>
    public float Row(long row, Span<float> features)
    {
        ulong state = _seed ^ ((ulong)row * 0xD1B54A32D192ED03UL);
        for (int i = 0; i < FeatureCount; i++) features[i] = (float)Uniform(ref state);
        // Box-Muller: 1 - u is in (0, 1], so the logarithm is finite.
        double noise = Math.Sqrt(-2 * Math.Log(1 - Uniform(ref state))) * Math.Cos(2 * Math.PI * Uniform(ref state));
        double x1 = features[0], x2 = features[1], x3 = features[2], x4 = features[3], x5 = features[4];
        return (float)(10 * Math.Sin(Math.PI * x1 * x2) + 20 * (x3 - 0.5) * (x3 - 0.5) + 10 * x4 + 5 * x5 + noise);
    }

    /// <summary>SplitMix64's next output as a double in [0, 1) (53 bits).</summary>
    static double Uniform(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53));
    }

    sealed class Cursor(FriedmanDataView owner) : DataViewRowCursor
    {
        readonly float[] _features = new float[FeatureCount];
        float _label;
        long _position = -1;

        public override long Position => _position;

        public override long Batch => 0;

        public override DataViewSchema Schema => owner.Schema;

        public override bool MoveNext()
        {
            if (_position + 1 >= owner._rows)
            {
                _position = owner._rows;
                return false;
            }
            _label = owner.Row(++_position, _features);
            return true;
        }

        public override bool IsColumnActive(DataViewSchema.Column column) => true;

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index == 1)
            {
                ValueGetter<float> label = (ref float value) => value = _label;
                return (ValueGetter<TValue>)(Delegate)label;
            }
            ValueGetter<VBuffer<float>> features = (ref VBuffer<float> value) =>
            {
                var editor = VBufferEditor.Create(ref value, FeatureCount);
                _features.CopyTo(editor.Values);
                value = editor.Commit();
            };
            return (ValueGetter<TValue>)(Delegate)features;
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);
    }
}
