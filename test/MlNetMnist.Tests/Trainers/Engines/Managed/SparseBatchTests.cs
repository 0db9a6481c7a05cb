using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMnist.DataViews;
using MlNetMnist.Trainers.Engines.Managed;

namespace MlNetMnist.Tests.Trainers.Engines.Managed;

/// <summary>
/// The managed engine's rows: compact rows hold exactly a dense row's nonzero values; its sparse batches hold exactly
/// the lesson's dense batches' rows.
/// </summary>
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
        Assert.AreEqual(1 - zeroShare, CompactDataset.NonzeroShareOf(data), 0.01);
        Assert.AreEqual(1 - zeroShare, CompactDataset.From(data, 3).NonzeroShare, 0.01);
        Assert.AreEqual(0, CompactDataset.NonzeroShareOf(new Dataset([], [], 3, classCount: 2)));
    }

    [TestMethod]
    public void CompactDataset_HoldsEveryRowsNonzeros_AndGrowsPastItsGuess()
    {
        var data = RandomRows(200, 50, zeroShare: 0.1, seed: 1);
        var compact = CompactDataset.From(new CopyRowOnly(data), 3);
        Assert.AreEqual(200, compact.Count);
        var row = new float[50];
        var back = new float[50];
        for (int i = 0; i < data.Count; i++)
        {
            Assert.AreEqual(data.CopyRow(i, row), compact.CopyRow(i, back));
            CollectionAssert.AreEqual(row, back, $"row {i}");
            CollectionAssert.AreEqual(row, Dense(compact.Rows, i), $"row {i}");
        }
    }

    [TestMethod]
    public void CopyFeaturesTo_TooSmall_ThrowsNamingTheBatch()
    {
        var batch = ManagedEngine.Instance.Batches(CompactDataset.From(RandomRows(10, 5, 0.5, seed: 8), 3), batchSize: 4).Epoch(0).First();
        Assert.IsInstanceOfType<SparseBatch>(batch);
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
    [DataRow(0, true)]   // batches are views of the dataset's compact rows
    [DataRow(2, false)]  // workers copy the rows
    [DataRow(0, false)]
    public void SparseLoader_HandsOutTheDenseLoadersRows(int workers, bool view)
    {
        var rows = RandomRows(230, 33, zeroShare: 0.8, seed: 3);
        var compact = CompactDataset.From(rows, 3);
        var options = new DataLoaderOptions { BatchSize = 16, Shuffle = true, Seed = 4, NumWorkers = workers };
        var dense = new DataLoader(rows, options).Epoch(1).Select(b => (Features: b.Features.ToArray(), Labels: b.Labels.ToArray())).ToList();
        var loader = new DataLoader(compact, options, view ? () => new SparseViewCollator(compact, 16) : () => new SparseCopyCollator(compact, 16));
        var sparse = loader.Epoch(1).Select(b =>
        {
            Assert.IsInstanceOfType<SparseBatch>(b);
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
        var batch = ManagedEngine.Instance.Batches(CompactDataset.From(RandomRows(10, 5, 0.5, seed: 5), 3), batchSize: 4).Epoch(0).First();
        var error = Assert.ThrowsExactly<InvalidOperationException>(() => batch.Features);
        StringAssert.Contains(error.Message, "SparseBatch.Rows");
    }

    sealed class IntRow
    {
        public int Label { get; set; }
        [VectorType(3)] public float[] Features { get; set; } = [];
    }

    /// <summary>Rows of 3 features with the given share of zeros, labels 0..3, as an IDataView without a row count (LoadFromEnumerable).</summary>
    static (IDataView Data, float[] Features, int[] Labels) ViewRows(int count, double zeroShare)
    {
        var random = new Random(5);
        var features = Enumerable.Range(0, count * 3).Select(_ => random.NextDouble() < zeroShare ? 0f : random.NextSingle() + 0.1f).ToArray();
        var labels = Enumerable.Range(0, count).Select(i => i % 4).ToArray();
        var rows = Enumerable.Range(0, count).Select(i => new IntRow { Label = labels[i], Features = features[(i * 3)..(i * 3 + 3)] });
        return (new MLContext().Data.LoadFromEnumerable(rows), features, labels);
    }

    [TestMethod]
    [DataRow(0.8, true)]   // MNIST-like: kept as nonzero values only
    [DataRow(0.3, false)]  // more than half nonzero: the lesson's dense Dataset
    public void ManagedReadRows_KeepsMostlyZeroRowsCompact_AndEveryRowReadsBackTheSame(double zeroShare, bool compact)
    {
        // 2,500 rows: past the 1,000 that decide, and past the first guesses of both buffers (no row count to size them).
        var (data, features, labels) = ViewRows(2500, zeroShare);
        var (rows, classCount) = ManagedEngine.Instance.ReadRows(data, "Features", "Label", long.MaxValue)!;
        Assert.AreEqual(compact, rows is CompactDataset);
        Assert.AreEqual(4, classCount);
        Assert.AreEqual(2500, rows.Count);
        var row = new float[3];
        for (int i = 0; i < 2500; i++)
        {
            Assert.AreEqual(labels[i], rows.CopyRow(i, row), $"label {i}");
            CollectionAssert.AreEqual(features[(3 * i)..(3 * i + 3)], row, $"row {i}");
        }
        if (rows is CompactDataset c) Assert.AreEqual(features.Count(x => x != 0) / (double)features.Length, c.NonzeroShare, 1e-12);
    }

    [TestMethod]
    public void ManagedReadRows_MnistIsKeptCompact()
    {
        var ml = new MLContext(seed: 1);
        var valid = TestData.Splits(ml).Valid;
        var (rows, classCount) = ManagedEngine.Instance.ReadRows(ml.Transforms.ScalePixels().Fit(valid).Transform(valid), "Features", "Label", long.MaxValue)!;
        var compact = rows as CompactDataset;
        Assert.IsNotNull(compact);
        Assert.AreEqual(10_000, compact.Count);
        Assert.AreEqual(10, classCount);
        Assert.AreEqual(0.19, compact.NonzeroShare, 0.01);
    }

    [TestMethod]
    public void CompactFromDataView_OverTheBudget_GivesNothing()
    {
        var (data, _, _) = ViewRows(2500, 0.8);
        Assert.IsFalse(CompactDataset.TryFromDataView(data, maxBytes: 1000, out var none));
        Assert.IsNull(none);
        Assert.IsTrue(CompactDataset.TryFromDataView(ViewRows(0, 0.8).Data, maxBytes: 1000, out var empty));
        Assert.AreEqual(0, empty.Count);
        Assert.AreEqual(0, empty.NonzeroShare);
    }
}
