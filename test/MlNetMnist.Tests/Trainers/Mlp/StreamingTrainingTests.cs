using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMnist.Trainers;
using MlNetMnist.Trainers.Learning;

namespace MlNetMnist.Tests.Trainers.Mlp;

/// <summary>Training data larger than the memory budget is streamed, not copied: memory stays flat whatever the row count.</summary>
[TestClass]
public sealed class StreamingTrainingTests
{
    [TestMethod]
    public void DataOfOver4GB_TrainsStreamed_WithResidentMemoryUnder1GB()
    {
        const long Rows = 1_100_000;
        const int Features = 1000; // 1.1 billion floats: 4.4 GB if copied into memory
        var ml = new MLContext(seed: 1);
        var data = new GeneratedRows(Rows, Features, classes: 4);
        GC.Collect();
        long baseline = Process.GetCurrentProcess().WorkingSet64, peak = baseline;
        var progress = new SyncProgress<TrainingProgress>(p =>
        {
            if (p.Batch % 100 == 0) peak = Math.Max(peak, Process.GetCurrentProcess().WorkingSet64);
        });
        var model = ml.MulticlassClassification.Trainers.Mlp(new MlpOptions
        {
            HiddenLayers = [8], Epochs = 1, BatchSize = 512, LearningRate = 0.1f, Progress = progress, Seed = 1,
        }).Fit(data);
        peak = Math.Max(peak, Process.GetCurrentProcess().WorkingSet64);

        var training = model.Model.Training;
        Console.WriteLine($"{Rows:N0} rows x {Features} floats ({Rows * Features * 4L / 1e9:F1} GB) streamed: resident {baseline / 1e6:F0} MB before, " +
                          $"peak {peak / 1e6:F0} MB ({(peak - baseline) / 1e6:F0} MB more); train loss {training.History[0].TrainLoss:F4}, {training.History[0].Duration.TotalSeconds:F1} s");
        Assert.AreEqual(Rows, training.TrainingRows);
        Assert.IsLessThan(1e9, (double)(peak - baseline), "streaming grew resident memory by a gigabyte or more");
        // It learned: the label is written into the features, so the loss falls well below ln 4 = 1.386.
        Assert.IsTrue(training.History[0].TrainLoss < 0.5, $"train loss {training.History[0].TrainLoss}"); // false for NaN too
    }

    /// <summary>A view of generated rows that knows its row count and holds nothing: each value is computed when read.</summary>
    sealed class GeneratedRows(long rows, int features, int classes) : IDataView
    {
        public bool CanShuffle => false;

        public DataViewSchema Schema { get; } = MakeSchema(features, classes);

        static DataViewSchema MakeSchema(int features, int classes)
        {
            var builder = new DataViewSchema.Builder();
            builder.AddColumn("Features", new VectorDataViewType(NumberDataViewType.Single, features));
            builder.AddColumn("Label", new KeyDataViewType(typeof(uint), classes));
            return builder.ToSchema();
        }

        public int Features => features;

        public int Classes => classes;

        public long? GetRowCount() => rows;

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => new Cursor(this);

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => [GetRowCursor(columnsNeeded)];

        sealed class Cursor(GeneratedRows owner) : DataViewRowCursor
        {
            long _position = -1;

            public override long Position => _position;

            public override long Batch => 0;

            public override DataViewSchema Schema => owner.Schema;

            public override bool MoveNext() => ++_position < owner.GetRowCount();

            uint Label => (uint)((ulong)_position * 0x9E3779B97F4A7C15 >> 40) % (uint)owner.Classes;

            public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
            {
                if (column.Index == 1)
                {
                    ValueGetter<uint> label = (ref uint value) => value = Label + 1; // raw key: 1-based
                    return (ValueGetter<TValue>)(Delegate)label;
                }
                ValueGetter<VBuffer<float>> getter = (ref VBuffer<float> value) =>
                {
                    var editor = VBufferEditor.Create(ref value, owner.Features);
                    uint state = (uint)_position * 2654435761u + 1;
                    var span = editor.Values;
                    for (int i = 0; i < span.Length; i++)
                    {
                        state ^= state << 13; state ^= state >> 17; state ^= state << 5; // xorshift: noise in [0, 0.25)
                        span[i] = (state >> 8) * (0.25f / (1 << 24));
                    }
                    span[(int)Label] += 1; // the label, written into the first features
                    value = editor.Commit();
                };
                return (ValueGetter<TValue>)(Delegate)getter;
            }

            public override bool IsColumnActive(DataViewSchema.Column column) => true;

            public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);
        }
    }
}
