using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMnist.DataViews;

namespace MlNetMnist.Tests.DataViews.Mnist;

[TestClass]
public sealed class MnistDataViewTests
{
    sealed class DigitText
    {
        public string Digit { get; set; } = "";
    }

    [TestMethod]
    public void LoadMnist_SplitsAsTheLesson()
    {
        var splits = TestData.Splits(new MLContext());
        Assert.AreEqual(50_000L, splits.Train.GetRowCount());
        Assert.AreEqual(10_000L, splits.Valid.GetRowCount());
        Assert.AreEqual(10_000L, splits.Test.GetRowCount());
    }

    [TestMethod]
    public void Train_FirstTenLabels_ComeOutAsDigitsThroughMapKeyToValue()
    {
        var ml = new MLContext();
        var digits = ml.Transforms.Conversion.MapKeyToValue("Digit", "Label").Fit(TestData.Splits(ml).Train).Transform(TestData.Splits(ml).Train);
        var firstTen = ml.Data.CreateEnumerable<DigitText>(digits, reuseRowObject: false).Take(10).Select(d => d.Digit);
        Assert.AreEqual("5 0 4 1 9 2 1 3 1 4", string.Join(" ", firstTen));
    }

    [TestMethod]
    public void Schema_HasKeyLabelWithDigitKeyValues_AndKnownSizePixels()
    {
        var train = TestData.Splits(new MLContext()).Train;
        var label = train.Schema["Label"];
        Assert.AreEqual(10UL, ((KeyDataViewType)label.Type).Count);
        VBuffer<ReadOnlyMemory<char>> keyValues = default;
        label.GetKeyValues(ref keyValues);
        CollectionAssert.AreEqual(Enumerable.Range(0, 10).Select(i => i.ToString()).ToArray(),
            keyValues.DenseValues().Select(v => v.ToString()).ToArray());
        var pixels = (VectorDataViewType)train.Schema["Pixels"].Type;
        Assert.AreEqual(NumberDataViewType.Byte, pixels.ItemType);
        Assert.AreEqual(784, pixels.Size);
    }

    [TestMethod]
    public void Valid_StartsAtRow50000_OfTheTrainingFile()
    {
        var ml = new MLContext();
        var files = TestData.Mnist;
        var whole = ml.Data.LoadIdx(files.TrainImages, files.TrainLabels);
        var fromWhole = ml.Data.CreateEnumerable<Digit>(ml.Data.SkipRows(whole, 50_000), reuseRowObject: false).First();
        var fromValid = ml.Data.CreateEnumerable<Digit>(TestData.Splits(ml).Valid, reuseRowObject: false).First();
        CollectionAssert.AreEqual(fromWhole.Pixels, fromValid.Pixels);
    }

    [TestMethod]
    public void Preview_AndMlNetTransforms_Work()
    {
        var ml = new MLContext();
        var train = TestData.Splits(ml).Train;
        var preview = train.Preview(maxRows: 3);
        Assert.AreEqual(3, preview.RowView.Length);
        var converted = ml.Transforms.Conversion.ConvertType("Floats", "Pixels", DataKind.Single).Fit(train).Transform(train);
        var first = converted.GetColumn<float[]>("Floats").First();
        Assert.AreEqual(784, first.Length);
        Assert.AreEqual(255f, first.Max());
        var shuffled = ml.Data.ShuffleRows(train, seed: 1);
        Assert.AreEqual(50_000, shuffled.GetColumn<uint>("Label").Count());
    }

    [TestMethod]
    public void ReadingTrain_EndToEnd_AllocatesFarLessThanAFloatCopy()
    {
        var train = TestData.Splits(new MLContext()).Train;
        long before = GC.GetAllocatedBytesForCurrentThread();
        long pixelSum = 0;
        using (var cursor = train.GetRowCursor(train.Schema))
        {
            var label = cursor.GetGetter<uint>(train.Schema["Label"]);
            var pixels = cursor.GetGetter<VBuffer<byte>>(train.Schema["Pixels"]);
            uint key = 0;
            VBuffer<byte> buffer = default;
            while (cursor.MoveNext())
            {
                label(ref key);
                pixels(ref buffer);
                pixelSum += buffer.GetValues()[400];
            }
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Console.WriteLine($"Reading 50,000 rows allocated {allocated:N0} bytes (a float copy: 156,800,000)");
        Assert.IsGreaterThan(0L, pixelSum);
        Assert.IsLessThan(1_000_000L, allocated);
    }

    [TestMethod]
    public void FashionMnist_ReadsThroughTheSameLoader()
    {
        if (TestData.FashionMnist is not { } files)
        {
            Assert.Inconclusive("Debian package dataset-fashion-mnist is not installed.");
            return;
        }
        var splits = new MLContext().Data.LoadMnist(files);
        Assert.AreEqual(50_000L, splits.Train.GetRowCount());
        Assert.AreEqual(10_000L, splits.Test.GetRowCount());
        // Fashion-MNIST's first training item is an ankle boot, class 9.
        Assert.AreEqual(10u, splits.Train.GetColumn<uint>("Label").First());
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    [DataRow(3)]
    [DataRow(64)]
    public void CursorSet_SharesOutEveryRowOnce_InChunksNumberedInOrder(int n)
    {
        var valid = TestData.Splits(new MLContext()).Valid; // 10,000 rows: chunks do not divide it
        var cursors = valid.GetRowCursorSet(valid.Schema, n);
        Assert.HasCount(Math.Min(n, (10_000 + MnistDataView.ChunkRows - 1) / MnistDataView.ChunkRows), cursors);
        var seen = new List<ulong>();
        foreach (var cursor in cursors)
            using (cursor)
            {
                var id = cursor.GetIdGetter();
                long lastBatch = -1, position = -1;
                DataViewRowId rowId = default;
                while (cursor.MoveNext())
                {
                    Assert.AreEqual(++position, cursor.Position);
                    Assert.IsGreaterThanOrEqualTo(lastBatch, cursor.Batch);
                    lastBatch = cursor.Batch;
                    id(ref rowId);
                    // A chunk's number is its Batch, which ML.NET's consolidator puts in order.
                    Assert.AreEqual((long)(rowId.Low - 50_000) / MnistDataView.ChunkRows, cursor.Batch);
                    seen.Add(rowId.Low);
                }
                Assert.IsFalse(cursor.MoveNext());
            }
        CollectionAssert.AreEqual(Enumerable.Range(50_000, 10_000).Select(i => (ulong)i).ToArray(), seen.Order().ToArray());
    }
}
