using MlNetMnist.Trainers.Engines.Managed;
using static TorchSharp.torch;

namespace MlNetMnist.Tests.Trainers.Engines.Managed;

[TestClass]
public sealed class KernelsTests
{
    /// <summary>Cross-entropy and its gradient for one padded row, as F.cross_entropy and autograd give them.</summary>
    [TestMethod]
    [DataRow(new float[] { 0.5f, -1, 2, 0.25f, 3, -2, 0, 1, 1.5f, -0.5f }, 4)]
    [DataRow(new float[] { 0, -40, 50, -45, -20, 49, 0, 0, 1, -52 }, 2)]        // gaps of 90, 95 and 102: exps in the subnormal range
    [DataRow(new float[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19 }, 18)] // two vectors, the second partial
    public void CrossEntropyAndGradient_MatchesTorch_AndLeavesNoSubnormal(float[] logits, int label)
    {
        // The kernel the processor runs, and its 256-bit form for processors without AVX-512.
        CrossEntropyAndGradientMatchesTorch(Kernels.SoftmaxCrossEntropyAndGradient, logits, label);
        CrossEntropyAndGradientMatchesTorch(Kernels.SoftmaxCrossEntropyAndGradient256, logits, label);
    }

    delegate float CrossEntropyKernel(Span<float> logits, int count, int label);

    static void CrossEntropyAndGradientMatchesTorch(CrossEntropyKernel kernel, float[] logits, int label)
    {
        int width = (logits.Length + 15) / 16 * 16;
        var row = new float[width];
        logits.CopyTo(row, 0);
        float loss = kernel(row, logits.Length, label);

        using var x = tensor(logits).unsqueeze(0).requires_grad_();
        using var expected = nn.functional.cross_entropy(x, tensor(new long[] { label }));
        expected.backward();
        var gradient = x.grad!.data<float>().ToArray();
        Assert.AreEqual(expected.item<float>(), loss, 1e-5);
        for (int c = 0; c < logits.Length; c++)
        {
            Assert.AreEqual(gradient[c], row[c], 1e-6, $"class {c}");
            Assert.IsFalse(float.IsSubnormal(row[c]), $"class {c}: {row[c]} is subnormal");
        }
        for (int c = logits.Length; c < width; c++) Assert.AreEqual(0f, row[c], $"padding {c}");
    }

    /// <summary>Random rows of <paramref name="columns"/> inputs, about 30% nonzero in runs, as the engine keeps them.</summary>
    static SparseRows RandomRows(int rows, int columns, int seed)
    {
        var random = new Random(seed);
        var sparse = new SparseRows(rows, columns);
        for (int r = 0; r < rows; r++)
            sparse.Set(r, Enumerable.Range(0, columns).Select(k => random.NextDouble() < 0.3 * (1 + Math.Sin(k / 15.0 + r)) ? (float)random.NextDouble() : 0f).ToArray());
        return sparse;
    }

    static float[] RandomFloats(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
    }

    /// <summary>
    /// The weight gradient summed a few weight rows at a time (a small batch's tiles, each member's rows) is the whole
    /// layer's, bit for bit: the same products added in the same order.
    /// </summary>
    [TestMethod]
    [DataRow(70)]  // four whole vectors and a tail: the 64-column chunk and single vectors
    [DataRow(10)]  // one vector
    public void WeightGradientInRanges_IsTheWholeGradient_BitForBit(int outputs)
    {
        const int rows = 9, inputs = 300;
        int width = (outputs + 15) / 16 * 16;
        var x = RandomRows(rows, inputs, seed: 1);
        var gradients = RandomFloats(rows * width, seed: 2);
        var whole = new float[inputs * width];
        Kernels.AddWeightGradient(whole, width, outputs, x, gradients, 0, rows, 0.125f);

        var inRanges = new float[inputs * width];
        var (cursors, ends) = (new int[rows], new int[rows]);
        int[] bounds = [0, 37, 200, 201, 300];
        for (int r = 0; r < rows; r++) cursors[r] = x.EntryAtOrAfter(r, 0);
        for (int i = 0; i + 1 < bounds.Length; i++)
        {
            var tile = new float[(bounds[i + 1] - bounds[i]) * width];
            Kernels.AddWeightGradientRows(tile, width, outputs, x, gradients, 0, rows, 0.125f, bounds[i], bounds[i + 1], cursors, ends);
            tile.CopyTo(inRanges, bounds[i] * width);
        }
        CollectionAssert.AreEqual(whole, inRanges);
    }

    /// <summary>
    /// A batch's forward is each row's alone, bit for bit: the narrow remainder (10 classes) runs four rows' FMA chains
    /// side by side, each in the order of the row alone, so the lesson's numbers do not depend on the batch's rows.
    /// Rows of different lengths, an empty one among them, and a count of rows that is not a multiple of four.
    /// </summary>
    [TestMethod]
    [DataRow(10)]  // one vector: the narrow form only
    [DataRow(70)]  // a 64-column chunk and a narrow vector
    public void Forward_OfABatch_IsEachRowsAlone_BitForBit(int outputs)
    {
        const int rows = 11, inputs = 300;
        var layer = new ManagedLayer(RandomFloats(outputs * inputs, seed: 12), RandomFloats(outputs, seed: 13), inputs, outputs, withGradients: false);
        var x = RandomRows(rows, inputs, seed: 14);
        x.Set(6, new float[inputs]); // no nonzero input
        foreach (var (first, last) in new[] { (0, inputs), (37, 260) })
        {
            var together = new float[rows * layer.Width];
            Kernels.Forward(layer, x, 0, rows, together, first, last);
            var alone = new float[rows * layer.Width];
            for (int r = 0; r < rows; r++) Kernels.Forward(layer, x, r, r + 1, alone, first, last);
            CollectionAssert.AreEqual(alone, together, $"inputs [{first}, {last})");

            // The 256-bit form that processors without AVX-512 run: the same bits as the form this one ran.
            int c = layer.Width - 16; // the narrow vector
            foreach (int from in new[] { 0, 4 }) // rows of different lengths; then with the empty row
            {
                var halves = new float[4 * layer.Width];
                for (int r = 0; r < 4 && first == 0; r++) layer.Biases.Span.CopyTo(halves.AsSpan(r * layer.Width));
                Kernels.AccumulateFourRows256(ref halves[c], ref layer.Weights.Span[c], layer.Width, x, from, first, last);
                for (int r = 0; r < 4; r++)
                    CollectionAssert.AreEqual(together.AsSpan((from + r) * layer.Width + c, 16).ToArray(), halves.AsSpan(r * layer.Width + c, 16).ToArray(),
                        $"row {from + r}, 256-bit form, inputs [{first}, {last})");
            }
        }
    }

    /// <summary>A layer's forward summed in parts over ranges of its inputs (each member's rows) adds up to the whole, to rounding.</summary>
    [TestMethod]
    public void ForwardInParts_AddsUpToTheWhole()
    {
        const int rows = 5, inputs = 300, outputs = 70;
        var layer = new ManagedLayer(RandomFloats(outputs * inputs, seed: 3), RandomFloats(outputs, seed: 4), inputs, outputs, withGradients: false);
        var x = RandomRows(rows, inputs, seed: 5);
        var whole = new float[rows * layer.Width];
        Kernels.Forward(layer, x, 0, rows, whole);
        var sum = new float[rows * layer.Width];
        var part = new float[rows * layer.Width];
        int[] bounds = [0, 150, 260, 300];
        for (int i = 0; i + 1 < bounds.Length; i++)
        {
            Array.Fill(part, float.NaN); // every value must be written
            Kernels.Forward(layer, x, 0, rows, part, bounds[i], bounds[i + 1]);
            for (int j = 0; j < sum.Length; j++) sum[j] += part[j];
        }
        for (int j = 0; j < sum.Length; j++) Assert.AreEqual(whole[j], sum[j], 1e-5, $"output {j}");
    }

    /// <summary>
    /// The 256-bit kernels that processors without AVX-512 run (DOTNET_EnableAVX512=0 on this one) sum what the
    /// 512-bit ones do: a row's forward over its nonzero inputs, and the scaled gradient added into weight rows.
    /// </summary>
    [TestMethod]
    public void Kernels256_SumWhatTheScalarFormulaSums()
    {
        const int inputs = 300, width = 80; // a 64-column chunk, from column 16 of a wider layer
        var random = new Random(7);
        int[] positions = Enumerable.Range(0, inputs).Where(_ => random.NextDouble() < 0.3).ToArray();
        float[] values = RandomFloats(positions.Length, seed: 8), weights = RandomFloats(inputs * width, seed: 9);
        float[] output = RandomFloats(64, seed: 10), gradient = RandomFloats(64, seed: 11);

        var forward = (float[])output.Clone();
        Kernels.Accumulate256(ref forward[0], ref weights[16], width, positions, values);
        for (int c = 0; c < 64; c++)
        {
            double expected = output[c];
            for (int t = 0; t < positions.Length; t++) expected += (double)values[t] * weights[positions[t] * width + 16 + c];
            Assert.AreEqual(expected, forward[c], 1e-5, $"forward, column {c}");
        }

        const int first = 20;
        var inRange = positions.Where(p => p >= first).ToArray();
        var inRangeValues = values[(positions.Length - inRange.Length)..];
        foreach (bool seven in new[] { false, true })
        {
            // The seven-vector form leaves the chunk's last 8 columns (padding in a 50-output layer) as they are.
            var stepped = (float[])weights.Clone();
            if (seven) Kernels.AddScaled256<Kernels.Seven>(ref stepped[16], width, ref gradient[0], 0.25f, inRange, inRangeValues, first);
            else Kernels.AddScaled256<Kernels.Eight>(ref stepped[16], width, ref gradient[0], 0.25f, inRange, inRangeValues, first);
            for (int k = 0; k < inputs - first; k++)
                for (int c = 0; c < width; c++)
                {
                    int t = Array.IndexOf(inRange, k + first);
                    bool added = t >= 0 && c >= 16 && (!seven || c < 16 + 56);
                    float expected = weights[k * width + c] + (added ? 0.25f * inRangeValues[t] * gradient[c - 16] : 0);
                    Assert.AreEqual(expected, stepped[k * width + c], 1e-6, $"{(seven ? "seven" : "eight")} vectors: weight row {k}, column {c}");
                }
        }
    }
}
