using MlNetMnist.DataViews;
using MlNetMnist.Trainers.Engines.Managed;

namespace MlNetMnist.Tests.Trainers.Engines.Managed;

/// <summary>The managed engine's rows know where each block of 128 positions starts, however the nonzeros fall.</summary>
[TestClass]
public sealed class SparseRowsTests
{
    [TestMethod]
    [DataRow(784, 0.0)]   // empty rows
    [DataRow(784, 0.2)]   // MNIST-like
    [DataRow(784, 1.0)]   // every position
    [DataRow(300, 0.5)]   // a partial last block
    [DataRow(100, 0.9)]   // a single block
    public void Blocks_StartWhereThePositionsCrossEachBlock(int columns, double density)
    {
        var random = new Random(columns);
        var rows = new SparseRows(12, columns);
        for (int r = 0; r < 12; r++)
        {
            // Clustered like digits: runs of nonzeros, so that whole 16-entry chunks fall on either side of a bound.
            var dense = Enumerable.Range(0, columns).Select(k => random.NextDouble() < density * (1 + Math.Sin(k / 20.0 + r)) ? 1f + k : 0f).ToArray();
            if (density == 1.0) Array.Fill(dense, 2f);
            if (r % 2 == 0) rows.Set(r, dense);
            else
            {
                var sparse = new SparseFeatures(columns);
                sparse.AppendDense(dense);
                rows.Set(r, sparse.Row(0));
            }
            var positions = rows.Row(r).Positions.ToArray();
            CollectionAssert.AreEqual(Enumerable.Range(0, columns).Where(k => dense[k] != 0).ToArray(), positions, $"row {r}");
            for (int b = 0; b < rows.Blocks; b++)
            {
                var (inBlock, values) = rows.Block(r, b);
                CollectionAssert.AreEqual(positions.Where(p => p / Kernels.BlockRows == b).ToArray(), inBlock.ToArray(), $"row {r} block {b}");
                CollectionAssert.AreEqual(inBlock.ToArray().Select(k => dense[k]).ToArray(), values.ToArray(), $"row {r} block {b} values");
            }
        }
    }

    [TestMethod]
    public void Range_IsTheEntriesWithin_AndEntryAtOrAfter_WhereTheyStart()
    {
        var random = new Random(5);
        var rows = new SparseRows(3, 300);
        var dense = new float[3][];
        for (int r = 0; r < 3; r++)
        {
            dense[r] = Enumerable.Range(0, 300).Select(k => random.NextDouble() < 0.3 ? 1f + k : 0f).ToArray();
            rows.Set(r, dense[r]);
        }
        foreach (var (first, last) in new[] { (0, 300), (0, 37), (37, 200), (128, 256), (250, 300), (299, 300), (40, 40) })
            for (int r = 0; r < 3; r++)
            {
                var (positions, values) = rows.Range(r, first, last);
                var expected = Enumerable.Range(first, last - first).Where(k => dense[r][k] != 0).ToArray();
                CollectionAssert.AreEqual(expected, positions.ToArray(), $"row {r} [{first}, {last})");
                CollectionAssert.AreEqual(expected.Select(k => dense[r][k]).ToArray(), values.ToArray(), $"row {r} [{first}, {last}) values");
                Assert.AreEqual(rows.Row(r).Positions.ToArray().Count(k => k < first), rows.EntryAtOrAfter(r, first), $"row {r} from {first}");
            }
    }
}
