using System.Diagnostics;
using MlNetMnist.DataViews;

namespace MlNetMnist.Tests.DataViews.Loading;

[TestClass]
public sealed class DataLoaderTests
{
    /// <summary>Row i has features [i, -i] and label i % 10, so a batch tells which rows it holds.</summary>
    static Dataset Rows(int count) => new(
        Enumerable.Range(0, count).SelectMany(i => new float[] { i, -i }).ToArray(),
        Enumerable.Range(0, count).Select(i => i % 10).ToArray(), featureCount: 2, classCount: 10);

    static List<int[]> RowsPerBatch(IEnumerable<Batch> batches) =>
        batches.Select(b => Enumerable.Range(0, b.Size).Select(i => (int)b.Features.Span[i * 2]).ToArray()).ToList();

    [TestMethod]
    [DataRow(100, 10, false, false)]
    [DataRow(103, 10, false, false)]
    [DataRow(103, 10, true, false)]
    [DataRow(103, 10, true, true)]
    [DataRow(100, 10, true, true)]
    [DataRow(7, 50, true, false)]
    public void Epoch_VisitsEveryIndexOnce_AndDropsOnlyTheShortTail(int count, int batchSize, bool shuffle, bool dropLast)
    {
        var loader = new DataLoader(Rows(count), new DataLoaderOptions { BatchSize = batchSize, Shuffle = shuffle, Seed = 3, DropLast = dropLast });
        var batches = RowsPerBatch(loader.Epoch(0));
        var seen = batches.SelectMany(b => b).ToList();
        int expected = dropLast ? count / batchSize * batchSize : count;
        Assert.AreEqual(expected, seen.Count);
        Assert.AreEqual(expected, seen.Distinct().Count());
        Assert.AreEqual(loader.BatchCount, batches.Count);
        Assert.IsTrue(batches.All(b => b.Length == batchSize) || (!dropLast && batches[..^1].All(b => b.Length == batchSize)));
        if (!shuffle) CollectionAssert.AreEqual(Enumerable.Range(0, expected).ToArray(), seen.ToArray());
    }

    [TestMethod]
    public void Shuffle_SameSeedSameBatches_NewOrderEachEpoch()
    {
        var options = new DataLoaderOptions { BatchSize = 8, Shuffle = true, Seed = 11 };
        var a = new DataLoader(Rows(64), options);
        var b = new DataLoader(Rows(64), options);
        var epoch0 = RowsPerBatch(a.Epoch(0)).SelectMany(x => x).ToArray();
        CollectionAssert.AreEqual(epoch0, RowsPerBatch(b.Epoch(0)).SelectMany(x => x).ToArray());
        CollectionAssert.AreNotEqual(epoch0, RowsPerBatch(a.Epoch(1)).SelectMany(x => x).ToArray());
        CollectionAssert.AreNotEqual(epoch0, Enumerable.Range(0, 64).ToArray());
    }

    [TestMethod]
    public void Foreach_RunsSuccessiveEpochs()
    {
        var loader = new DataLoader(Rows(30), new DataLoaderOptions { BatchSize = 10, Shuffle = true, Seed = 1 });
        var first = RowsPerBatch(loader).SelectMany(x => x).ToArray();
        var second = RowsPerBatch(loader).SelectMany(x => x).ToArray();
        CollectionAssert.AreEqual(RowsPerBatch(loader.Epoch(0)).SelectMany(x => x).ToArray(), first);
        CollectionAssert.AreEqual(RowsPerBatch(loader.Epoch(1)).SelectMany(x => x).ToArray(), second);
    }

    [TestMethod]
    public void Workers_0_1_2_4_GiveIdenticalBatches()
    {
        List<int[]> Run(int workers) => RowsPerBatch(new DataLoader(Rows(1000),
            new DataLoaderOptions { BatchSize = 32, Shuffle = true, Seed = 5, NumWorkers = workers }).Epoch(2));
        var reference = Run(0);
        foreach (int workers in new[] { 1, 2, 4 })
        {
            var batches = Run(workers);
            Assert.AreEqual(reference.Count, batches.Count);
            for (int i = 0; i < batches.Count; i++)
                CollectionAssert.AreEqual(reference[i], batches[i], $"{workers} workers, batch {i}");
        }
    }

    [TestMethod]
    [DataRow(0)]
    [DataRow(2)]
    public void CollateThrowingAtBatchK_SurfacesAtBatchK_WithItsStack(int workers)
    {
        const int k = 5;
        var loader = new DataLoader(Rows(100), new DataLoaderOptions
        {
            BatchSize = 10,
            NumWorkers = workers,
            Collate = (dataset, indices, features, labels) =>
            {
                if (indices[0] == k * 10) ThrowingCollate();
                Collates.Default(dataset, indices, features, labels);
            },
        });
        int consumed = 0;
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => { foreach (var _ in loader.Epoch(0)) consumed++; });
        Assert.AreEqual(k, consumed);
        StringAssert.Contains(e.StackTrace, nameof(ThrowingCollate));
    }

    static void ThrowingCollate() => throw new InvalidOperationException("bad row");

    [TestMethod]
    public void BreakingAfterTheFirstBatch_StopsEveryWorkerPromptly()
    {
        int running = 0, started = 0;
        var loader = new DataLoader(Rows(10_000), new DataLoaderOptions
        {
            BatchSize = 10,
            NumWorkers = 4,
            PrefetchDepth = 8,
            Collate = (dataset, indices, features, labels) =>
            {
                Interlocked.Increment(ref running);
                Interlocked.Increment(ref started);
                Thread.Sleep(20);
                Collates.Default(dataset, indices, features, labels);
                Interlocked.Decrement(ref running);
            },
        });
        foreach (var _ in loader.Epoch(0)) break;
        Assert.AreEqual(0, Volatile.Read(ref running), "no collate still running once the loop has left");
        Assert.IsLessThan(20, started, $"{started} batches were started; prefetch should bound it");
    }

    [TestMethod]
    public void Cancelling_StopsTheEpoch()
    {
        using var cancel = new CancellationTokenSource();
        var loader = new DataLoader(Rows(1000), new DataLoaderOptions { BatchSize = 10, NumWorkers = 2 });
        int consumed = 0;
        Assert.ThrowsExactly<OperationCanceledException>(() =>
        {
            foreach (var _ in loader.Epoch(0, cancel.Token))
                if (++consumed == 3) cancel.Cancel();
        });
        Assert.AreEqual(3, consumed);
    }

    [TestMethod]
    public void SteadyEpoch_AllocatesAlmostNothingPerBatch()
    {
        var loader = new DataLoader(Rows(5000), new DataLoaderOptions { BatchSize = 50, Shuffle = true });
        foreach (var _ in loader.Epoch(0)) { }
        long before = GC.GetAllocatedBytesForCurrentThread();
        foreach (var _ in loader.Epoch(1)) { }
        long perBatch = (GC.GetAllocatedBytesForCurrentThread() - before - 5000 * sizeof(int)) / loader.BatchCount;
        Assert.IsLessThan(200L, perBatch, $"{perBatch} bytes per batch beyond the epoch's index permutation");
    }
}
