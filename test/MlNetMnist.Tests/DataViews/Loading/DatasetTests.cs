using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMnist.DataViews;

namespace MlNetMnist.Tests.DataViews.Loading;

[TestClass]
public sealed class DatasetTests
{
    sealed class KeyRow
    {
        [KeyType(4)] public uint Label { get; set; }
        [VectorType(3)] public float[] Features { get; set; } = [];
    }

    sealed class IntRow
    {
        public int Label { get; set; }
        [VectorType(3)] public float[] Features { get; set; } = [];
    }

    static readonly MLContext Ml = new();

    [TestMethod]
    public void FromDataView_KeyLabel_GivesZeroBasedClassesAndKeyCount()
    {
        // LoadFromEnumerable stores a [KeyType] uint +1, so writing 2 makes raw key 3, which is class 2.
        var data = Ml.Data.LoadFromEnumerable([new KeyRow { Label = 2, Features = [1, 2, 3] }, new KeyRow { Label = 0, Features = [4, 5, 6] }]);
        var dataset = Dataset.FromDataView(data);
        Assert.AreEqual(2, dataset.Count);
        Assert.AreEqual(3, dataset.FeatureCount);
        Assert.AreEqual(4, dataset.ClassCount);
        Assert.AreEqual(2, dataset[0].Label);
        CollectionAssert.AreEqual(new float[] { 4, 5, 6 }, dataset[1].Features.ToArray());
        var (features, labels) = dataset[[1, 0]];
        CollectionAssert.AreEqual(new float[] { 4, 5, 6, 1, 2, 3 }, features);
        CollectionAssert.AreEqual(new[] { 0, 2 }, labels);
    }

    [TestMethod]
    public void FromDataView_IntegerLabel_ClassCountIsMaxPlusOne()
    {
        var data = Ml.Data.LoadFromEnumerable([new IntRow { Label = 6, Features = [1, 2, 3] }, new IntRow { Label = 1, Features = [1, 2, 3] }]);
        var dataset = Dataset.FromDataView(data);
        Assert.AreEqual(7, dataset.ClassCount);
        Assert.AreEqual(6, dataset[0].Label);
    }

    [TestMethod]
    public void FromDataView_MissingColumn_NamesIt()
    {
        var data = Ml.Data.LoadFromEnumerable([new IntRow { Label = 1, Features = [1, 2, 3] }]);
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Dataset.FromDataView(data, featureColumn: "Pixels"));
        StringAssert.Contains(e.Message, "Schema mismatch for feature column 'Pixels'");
    }

    [TestMethod]
    public void FromDataView_MnistPixels_AreTheWrongFeatureType()
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Dataset.FromDataView(TestData.Splits(Ml).Test, featureColumn: "Pixels"));
        StringAssert.Contains(e.Message, "expected known-size vector of Single, got Vector<Byte, 784>");
    }

    [TestMethod]
    public void FromDataView_NegativeIntegerLabel_NamesColumnAndRow()
    {
        var data = Ml.Data.LoadFromEnumerable([new IntRow { Label = 1, Features = [1, 2, 3] }, new IntRow { Label = -1, Features = [1, 2, 3] }]);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => Dataset.FromDataView(data));
        StringAssert.Contains(e.Message, "'Label' holds -1 at row 1");
    }

    [TestMethod]
    public void Arrays_Validated()
    {
        Assert.ThrowsExactly<ArgumentException>(() => new Dataset(new float[5], new int[2], featureCount: 2));
        Assert.ThrowsExactly<ArgumentException>(() => new Dataset(new float[4], [0, 3], featureCount: 2, classCount: 3));
    }

    /// <summary>Rows of 3 features with the given share of zeros, labels 0..3, as an IDataView without a row count (LoadFromEnumerable).</summary>
    static (IDataView Data, float[] Features, int[] Labels) Rows(int count, double zeroShare)
    {
        var random = new Random(5);
        var features = Enumerable.Range(0, count * 3).Select(_ => random.NextDouble() < zeroShare ? 0f : random.NextSingle() + 0.1f).ToArray();
        var labels = Enumerable.Range(0, count).Select(i => i % 4).ToArray();
        var rows = Enumerable.Range(0, count).Select(i => new IntRow { Label = labels[i], Features = features[(i * 3)..(i * 3 + 3)] });
        return (Ml.Data.LoadFromEnumerable(rows), features, labels);
    }

    [TestMethod]
    [DataRow(0.8)]
    [DataRow(0.3)]
    public void FromDataView_EveryRowReadsBackTheSame(double zeroShare)
    {
        // 2,500 rows: past the first guess of the buffers (no row count to size them).
        var (data, features, labels) = Rows(2500, zeroShare);
        Assert.IsNull(data.GetRowCount());
        var dataset = Dataset.FromDataView(data);
        Assert.AreEqual(2500, dataset.Count);
        var all = dataset[Enumerable.Range(0, 2500).ToArray()];
        CollectionAssert.AreEqual(features, all.Features);
        CollectionAssert.AreEqual(labels, all.Labels);
        CollectionAssert.AreEqual(features[(3 * 2499)..], dataset[2499].Features.ToArray());
    }

    [TestMethod]
    public void FromDataView_NoRows_GivesAnEmptyDataset()
    {
        var dataset = Dataset.FromDataView(Ml.Data.LoadFromEnumerable(Array.Empty<IntRow>()));
        Assert.AreEqual(0, dataset.Count);
    }
}
