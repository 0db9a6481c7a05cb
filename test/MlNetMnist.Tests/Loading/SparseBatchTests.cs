using MlNetMnist.DataViews;

namespace MlNetMnist.Tests.Loading;

/// <summary>Sparse rows hold exactly a dense row's nonzero values; sparse batches hold exactly the dense batches' rows.</summary>
[TestClass]
public sealed class SparseBatchTests
{
    /// <summary>Rows of <paramref name="features"/> values of which about <paramref name="zeroShare"/> are 0, the rest of either sign.</summary>
    static Dataset RandomRows(int count, int features, double zeroShare, int seed)
    {
        var random = new Random(seed);
        var x = Enumerable.Range(0, count * features).Select(_ => random.NextDouble() < zeroShare ? 0f : (float)(random.NextDouble() - 0.3)).ToArray();
        return new Dataset(x, Enumerable.Range(0, count).Select(i => i % 3).ToArray(), features, classCount: 3);
    }

    static float[] Dense(ISparseRows sparse, int row)
    {
        var dense = new float[sparse.FeatureCount];
        sparse.CopyTo(row, dense);
        return dense;
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(16)]
    [DataRow(37)]   // two whole vectors and a tail
    [DataRow(784)]
    public void Compress_KeepsEveryNonzeroInOrder_AndReluKeepsThePositiveOnes(int length)
    {
        var random = new Random(length);
        var values = Enumerable.Range(0, length).Select(_ => random.Next(3) switch { 0 => 0f, 1 => -(float)random.NextDouble(), _ => (float)random.NextDouble() }).ToArray();
        values[length / 2] = float.NaN;
        var positions = new int[length + 16];
        var kept = new float[length + 16];
        foreach (bool positiveOnly in new[] { false, true })
        {
            int count = SparseFeatures.Compress(values, positions, kept, positiveOnly);
            var expected = Enumerable.Range(0, length).Where(k => positiveOnly ? values[k] > 0 : values[k] != 0).ToArray();
            CollectionAssert.AreEqual(expected, positions[..count], $"positions, positiveOnly {positiveOnly}");
            CollectionAssert.AreEqual(expected.Select(k => values[k]).ToArray(), kept[..count], $"values, positiveOnly {positiveOnly}");
        }
    }

    [TestMethod]
    public void Compress_WithoutRoomForAVectorPastTheValues_Throws()
    {
        var error = Assert.ThrowsExactly<ArgumentException>(() => SparseFeatures.Compress(new float[20], new int[20], new float[36]));
        StringAssert.Contains(error.Message, "36");
    }

    [TestMethod]
    [DataRow(0.0)]
    [DataRow(0.81)]
    [DataRow(1.0)]
    public void NonzeroShare_EstimatesTheShareOfNonzeroValues(double zeroShare)
    {
        var data = RandomRows(5000, 50, zeroShare, seed: 9);
        Assert.AreEqual(1 - zeroShare, data.NonzeroShare(), 0.01);
        Assert.AreEqual(0, new Dataset([], [], 3, classCount: 2).NonzeroShare());
    }

    [TestMethod]
    public void DatasetSparse_HoldsEveryRowsNonzeros_AndGrowsPastItsGuess()
    {
        var data = RandomRows(200, 50, zeroShare: 0.1, seed: 1); // denser than the initial guess of a quarter
        var sparse = data.Sparse;
        Assert.AreEqual(200, sparse.Rows);
        var row = new float[50];
        for (int i = 0; i < data.Count; i++)
        {
            data.CopyRow(i, row);
            CollectionAssert.AreEqual(row, Dense(sparse, i), $"row {i}");
        }
        Assert.AreSame(sparse, data.Sparse, "built once");
    }

    [TestMethod]
    public void AppendSparseRow_DefaultFromCopyRow_MatchesTheDatasetsOwn()
    {
        var data = RandomRows(20, 40, zeroShare: 0.7, seed: 2);
        IDataset plain = new CopyRowOnly(data);
        var fromDefault = new SparseFeatures(40);
        var fromDataset = new SparseFeatures(40);
        for (int i = 0; i < data.Count; i++)
            Assert.AreEqual(data.AppendSparseRow(i, fromDataset), plain.AppendSparseRow(i, fromDefault));
        for (int i = 0; i < data.Count; i++)
            CollectionAssert.AreEqual(Dense(fromDataset, i), Dense(fromDefault, i));
    }

    [TestMethod]
    public void AppendSparseRow_IntoRowsOfAnotherWidth_Throws()
    {
        var data = RandomRows(5, 40, zeroShare: 0.5, seed: 7);
        var error = Assert.ThrowsExactly<ArgumentException>(() => data.AppendSparseRow(0, new SparseFeatures(39)));
        StringAssert.Contains(error.Message, "39");
    }

    [TestMethod]
    public void CopyFeaturesTo_TooSmall_ThrowsNamingTheBatch()
    {
        var loader = new DataLoader(RandomRows(10, 5, 0.5, seed: 8), new DataLoaderOptions { BatchSize = 4, Sparse = true });
        var batch = loader.Epoch(0).First();
        var error = Assert.ThrowsExactly<ArgumentException>(() => batch.CopyFeaturesTo(new float[19]));
        StringAssert.Contains(error.Message, "Batch 0");
    }

    [TestMethod]
    public void View_ShowsTheSourcesRowsInItsOrder()
    {
        var source = new SparseFeatures(6);
        source.AppendDense([0, 1, 0, 0, 2, 0]);
        source.AppendDense([3, 0, 0, 0, 0, 4]);
        source.AppendDense([0, 0, 0, 0, 0, 0]);
        var view = new SparseRowsView(source, new[] { 2, 0, 0, 1 });
        Assert.AreEqual(4, view.Rows);
        CollectionAssert.AreEqual(new float[6], Dense(view, 0));
        CollectionAssert.AreEqual(new float[] { 0, 1, 0, 0, 2, 0 }, Dense(view, 1));
        CollectionAssert.AreEqual(new float[] { 3, 0, 0, 0, 0, 4 }, Dense(view, 3));
        var error = Assert.ThrowsExactly<ArgumentException>(() => view.Show(new SparseFeatures(5), new[] { 0 }));
        StringAssert.Contains(error.Message, "The source holds rows of 5 features; these rows have 6.");
        view.Show(source, new[] { 1 });
        Assert.AreEqual(1, view.Rows);
        CollectionAssert.AreEqual(new float[] { 3, 0, 0, 0, 0, 4 }, Dense(view, 0));
    }

    sealed class CopyRowOnly(Dataset data) : IDataset
    {
        public int Count => data.Count;

        public int FeatureCount => data.FeatureCount;

        public int CopyRow(int index, Span<float> features) => data.CopyRow(index, features);
    }

    [TestMethod]
    public void Append_RejectsRowsOutOfOrderOrOutOfRange()
    {
        var sparse = new SparseFeatures(10);
        Assert.ThrowsExactly<ArgumentException>(() => sparse.Append(new SparseRow([3, 3], [1f, 2f])));
        Assert.ThrowsExactly<ArgumentException>(() => sparse.Append(new SparseRow([5, 2], [1f, 2f])));
        var error = Assert.ThrowsExactly<ArgumentException>(() => sparse.Append(new SparseRow([2, 10], [1f, 2f])));
        StringAssert.Contains(error.Message, "Position 10");
        Assert.ThrowsExactly<ArgumentException>(() => sparse.Append(new SparseRow([-1], [1f])));
        Assert.ThrowsExactly<ArgumentException>(() => sparse.Append(new SparseRow([1, 2], [1f])));
        Assert.ThrowsExactly<ArgumentException>(() => sparse.AppendDense(new float[9]));
        Assert.AreEqual(0, sparse.Rows, "nothing half-appended");
        sparse.Append(new SparseRow([0, 9], [1f, 2f]));
        CollectionAssert.AreEqual(new[] { 1f, 0, 0, 0, 0, 0, 0, 0, 0, 2f }, Dense(sparse, 0));
    }

    [TestMethod]
    [DataRow(0, true)]   // batches are views of the dataset's sparse rows
    [DataRow(2, true)]   // workers copy the rows
    [DataRow(0, false)]  // a dataset without a sparse copy: rows compressed as they are taken
    public void SparseLoader_HandsOutTheDenseLoadersRows(int workers, bool inMemory)
    {
        var rows = RandomRows(230, 33, zeroShare: 0.8, seed: 3);
        IDataset data = inMemory ? rows : new CopyRowOnly(rows);
        DataLoader Loader(bool sparse) => new(data, new DataLoaderOptions { BatchSize = 16, Shuffle = true, Seed = 4, NumWorkers = workers, Sparse = sparse });
        var dense = Loader(false).Epoch(1).Select(b => (Features: b.Features.ToArray(), Labels: b.Labels.ToArray())).ToList();
        var sparse = Loader(true).Epoch(1).Select(b =>
        {
            Assert.IsNotNull(b.Sparse);
            var features = new float[b.Size * b.FeatureCount];
            b.CopyFeaturesTo(features);
            return (Features: features, Labels: b.Labels.ToArray());
        }).ToList();
        Assert.AreEqual(dense.Count, sparse.Count);
        for (int i = 0; i < dense.Count; i++)
        {
            CollectionAssert.AreEqual(dense[i].Features, sparse[i].Features, $"batch {i}");
            CollectionAssert.AreEqual(dense[i].Labels, sparse[i].Labels, $"batch {i}");
        }
    }

    [TestMethod]
    public void SparseBatch_FeaturesSaysToReadSparse()
    {
        var loader = new DataLoader(RandomRows(10, 5, 0.5, seed: 5), new DataLoaderOptions { BatchSize = 4, Sparse = true });
        var batch = loader.Epoch(0).First();
        var error = Assert.ThrowsExactly<InvalidOperationException>(() => batch.Features);
        StringAssert.Contains(error.Message, "Batch.Sparse");
    }

    [TestMethod]
    public void SparseLoader_WithACustomCollate_Throws()
    {
        var options = new DataLoaderOptions { Sparse = true, Collate = (dataset, indices, features, labels) => { } };
        var error = Assert.ThrowsExactly<ArgumentException>(() => new DataLoader(RandomRows(10, 5, 0.5, seed: 6), options));
        StringAssert.Contains(error.Message, "Collate");
    }
}
