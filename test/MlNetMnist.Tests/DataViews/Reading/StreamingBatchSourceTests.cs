using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMnist.DataViews;

namespace MlNetMnist.Tests.DataViews.Reading;

[TestClass]
public sealed class StreamingBatchSourceTests
{
    sealed class Row
    {
        public int Label { get; set; }
        [VectorType(4)] public float[] Features { get; set; } = [];
    }

    static IEnumerable<Row> Generate(int count)
    {
        var row = new Row { Features = new float[4] };
        for (int i = 0; i < count; i++)
        {
            row.Label = i % 10;
            row.Features[0] = i;
            yield return row; // one object reused: the source itself holds nothing
        }
    }

    [TestMethod]
    public void Epoch_VisitsEveryRowOnce_Shuffled_Reproducibly()
    {
        var data = new MLContext().Data.LoadFromEnumerable(Generate(1000));
        var source = new StreamingBatchSource(data, batchSize: 64, shuffleBufferRows: 100, seed: 2);
        int[] Rows(int epoch) => source.Epoch(epoch).SelectMany(b => Enumerable.Range(0, b.Size).Select(i => (int)b.Features.Span[i * 4])).ToArray();
        var epoch0 = Rows(0);
        CollectionAssert.AreEquivalent(Enumerable.Range(0, 1000).ToArray(), epoch0);
        CollectionAssert.AreNotEqual(Enumerable.Range(0, 1000).ToArray(), epoch0);
        CollectionAssert.AreEqual(epoch0, Rows(0));
        CollectionAssert.AreNotEqual(epoch0, Rows(1));
    }

    [TestMethod]
    public void AMillionRows_KeepManagedMemoryFlat()
    {
        var data = new MLContext().Data.LoadFromEnumerable(Generate(1_000_000));
        var source = new StreamingBatchSource(data, batchSize: 512, shuffleBufferRows: 10_000, seed: 1);
        long rows = 0, peak = 0;
        GC.Collect();
        long baseline = GC.GetTotalMemory(forceFullCollection: true);
        foreach (var batch in source.Epoch(0))
        {
            rows += batch.Size;
            if (batch.Index % 200 == 0) peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: true) - baseline);
        }
        Console.WriteLine($"1,000,000 streamed rows: peak live managed memory {peak:N0} bytes above baseline (all rows as floats: {1_000_000L * 4 * 4:N0})");
        Assert.AreEqual(1_000_000L, rows);
        Assert.IsLessThan(4_000_000L, peak);
    }
}
