using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMnist.DataViews;

namespace MlNetMnist.Tests.Loading;

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
}
