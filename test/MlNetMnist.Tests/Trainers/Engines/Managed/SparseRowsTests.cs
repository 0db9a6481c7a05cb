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

    /// <summary>
    /// Each form of Compress (AVX-512's compress, AVX2's permutations, the scalar loop), finished by the scalar tail
    /// as Compress does, keeps exactly the nonzero values (NaN too; with positiveOnly the positive ones), a subnormal
    /// counting as 0, at any length; the forms this processor lacks are skipped.
    /// </summary>
    [TestMethod]
    public void CompressForms_KeepTheNonzeroValues_InOrder()
    {
        var random = new Random(3);
        float[] kinds = [0f, -0f, 1e-40f, -1e-40f, float.NaN, 2.5f, -3f, 1.17549435e-38f, float.PositiveInfinity];
        for (int length = 0; length <= 40; length++)
            foreach (bool positiveOnly in new[] { false, true })
            {
                var values = Enumerable.Range(0, length).Select(_ => random.NextDouble() < 0.5 ? 0f : kinds[random.Next(kinds.Length)]).ToArray();
                int[] expected = Enumerable.Range(0, length)
                    .Where(k => positiveOnly ? values[k] >= 1.17549435e-38f : !(MathF.Abs(values[k]) < 1.17549435e-38f)).ToArray();
                var forms = new List<(string, Func<float[], int[], float[], (int, int)>)> { ("scalar", (v, p, k) => (0, 0)) };
                if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported) forms.Add(("512", (v, p, k) => SparseFeatures.Compress512(v, p, k, positiveOnly)));
                if (System.Runtime.Intrinsics.X86.Avx2.IsSupported) forms.Add(("256", (v, p, k) => SparseFeatures.Compress256(v, p, k, positiveOnly)));
                foreach (var (name, form) in forms)
                {
                    var (positions, kept) = (new int[length + 16], new float[length + 16]);
                    var (count, next) = form(values, positions, kept);
                    count = SparseFeatures.CompressScalar(values, positions, kept, positiveOnly, count, next);
                    string at = $"{name}, length {length}, positiveOnly {positiveOnly}";
                    CollectionAssert.AreEqual(expected, positions[..count], at);
                    CollectionAssert.AreEqual(expected.Select(k => values[k]).ToArray(), kept[..count], at);
                }
            }
    }

    /// <summary>Both forms of the count of a row's positions below a block's bound: 16 lanes, those past the row's entries not counted.</summary>
    [TestMethod]
    public void CountBelow_CountsTheEntriesBelowTheBound()
    {
        int[] positions = [3, 9, 20, 21, 40, 41, 42, 60, 61, 62, 63, 64, 80, 100, 120, 127, 500, 501];
        foreach (int bound in new[] { 0, 4, 21, 64, 128, 1000 })
            for (int entries = 0; entries <= 16; entries++)
            {
                int expected = positions.Take(entries).Count(p => p < bound);
                Assert.AreEqual(expected, SparseRows.CountBelow256(ref positions[0], bound, entries), $"256, bound {bound}, entries {entries}");
                if (System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated)
                    Assert.AreEqual(expected, SparseRows.CountBelow512(ref positions[0], bound, entries), $"512, bound {bound}, entries {entries}");
            }
    }
}
