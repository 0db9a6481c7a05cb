using System.Numerics.Tensors;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMnist.DataViews;
using MlNetMnist.Trainers;
using MlNetMnist.Trainers.Engines.Managed;
using MlNetMnist.Trainers.Models;

namespace MlNetMnist.Tests.Trainers.Engines.Managed;

/// <summary>
/// Scoring made faster must score the same, bit for bit: MlpScorer.Predict and the PredictionEngine of a saved model
/// against the plain computation (per unit, the bias then one fused multiply-add per input in ascending order, subnormal
/// operands as 0; ReLU; max-subtracted softmax with a cut-off that keeps probabilities normal) on real test digits, zeros and all.
/// </summary>
[TestClass]
public sealed class ScoringBitsTests
{
    /// <summary>Subnormal inputs, weights and biases count as 0 (denormals-are-zero).</summary>
    static float Daz(float x) => MathF.Abs(x) < 1.17549435e-38f ? 0 : x;

    static float[] Reference(MlpNetwork network, float[] features)
    {
        float[] input = features;
        for (int l = 0; l < network.LayerCount; l++)
        {
            float[] w = network.GetWeights(l), b = network.GetBiases(l);
            int inSize = network.LayerSizes[l], outSize = network.LayerSizes[l + 1];
            var output = new float[outSize];
            for (int j = 0; j < outSize; j++)
            {
                float sum = Daz(b[j]);
                for (int k = 0; k < inSize; k++) sum = MathF.FusedMultiplyAdd(Daz(input[k]), Daz(w[j * inSize + k]), sum);
                output[j] = sum;
            }
            if (l < network.LayerCount - 1)
                for (int j = 0; j < outSize; j++) output[j] = Math.Max(output[j], 0f);
            input = output;
        }
        // Softmax with the row's largest logit subtracted first (stable for any finite logits).
        // TensorPrimitives' vectorised Exp, as the model's: MathF.Exp rounds some values differently.
        // Logits more than ln 2^100 below the largest are raised to that cut-off, and every exp at or below the
        // cut-off's becomes 0, so that no probability is subnormal.
        var probabilities = new float[input.Length];
        TensorPrimitives.Subtract(input, input.Max(), probabilities);
        bool clamped = probabilities.Any(x => x < MlpScorer.SoftMaxCutoff);
        TensorPrimitives.Max(probabilities, MlpScorer.SoftMaxCutoff, probabilities);
        TensorPrimitives.Exp(probabilities, probabilities);
        float atCutoff = probabilities.Min();
        if (clamped)
            for (int c = 0; c < probabilities.Length; c++)
                if (probabilities[c] <= atCutoff) probabilities[c] = 0;
        TensorPrimitives.Divide(probabilities, TensorPrimitives.Sum(probabilities), probabilities);
        return probabilities;
    }

    [TestMethod]
    public void PredictAndPredictionEngine_MatchThePlainComputation_BitForBit()
    {
        var ml = new MLContext();
        var model = ml.Model.Load(ServingModels.First, out _);
        var network = ((IEnumerable<ITransformer>)model).OfType<MulticlassPredictionTransformer<MlpModelParameters>>().Single().Model.Network;
        var engine = ml.Model.CreatePredictionEngine<Digit, DigitPrediction>(model);
        var output = new float[network.ClassCount];
        var scorer = new MlpScorer(network);
        foreach (var digit in ServingModels.Test)
        {
            var features = digit.Pixels.Select(p => p / 255f).ToArray();
            var expected = Reference(network, features);
            scorer.Predict(features, output);
            CollectionAssert.AreEqual(expected, output);
            CollectionAssert.AreEqual(expected, engine.Predict(digit).Score);
        }
    }

    /// <summary>
    /// Every way a layer's outputs split into whole vectors and a tail (none, one to three vectors left after passes of
    /// four, tails of 0 to 15), with inputs half zero and negative values, scores as the plain computation does.
    /// </summary>
    [TestMethod]
    public void Predict_MatchesThePlainComputation_BitForBit_ForEveryLayerShape()
    {
        int[] sizes = [37, 70, 33, 16, 50, 100, 64, 47, 5];
        var random = new Random(7);
        float Next(double scale) => (float)((random.NextDouble() * 2 - 1) * scale);
        var weights = new List<float[]>();
        var biases = new List<float[]>();
        for (int l = 0; l < sizes.Length - 1; l++)
        {
            double scale = 1.5 / Math.Sqrt(sizes[l]);
            weights.Add(Enumerable.Range(0, sizes[l] * sizes[l + 1]).Select(_ => Next(scale)).ToArray());
            biases.Add(Enumerable.Range(0, sizes[l + 1]).Select(_ => Next(0.1)).ToArray());
        }
        var network = new MlpNetwork(sizes, weights, biases);
        var output = new float[network.ClassCount];
        var scorer = new MlpScorer(network);
        for (int row = 0; row < 200; row++)
        {
            var features = Enumerable.Range(0, sizes[0]).Select(_ => random.Next(2) == 0 ? 0f : Next(3)).ToArray();
            scorer.Predict(features, output);
            CollectionAssert.AreEqual(Reference(network, features), output, $"row {row}");
        }
    }

    /// <summary>
    /// The MNIST view hands ML.NET's scorer several cursors, which it runs on several threads and consolidates: every
    /// row must still come back once, in file order, scored as Predict scores it.
    /// </summary>
    [TestMethod]
    public void Transform_OverTheMnistView_GivesEveryRowInOrder_ScoredAsPredict()
    {
        var ml = new MLContext();
        var model = ml.Model.Load(ServingModels.First, out _);
        var network = ((IEnumerable<ITransformer>)model).OfType<MulticlassPredictionTransformer<MlpModelParameters>>().Single().Model.Network;
        var test = TestData.Splits(ml).Test;
        var pixels = test.GetColumn<VBuffer<byte>>("Pixels").Select(p => p.DenseValues().Select(b => b / 255f).ToArray()).ToArray();
        var scores = model.Transform(test).GetColumn<float[]>("Score").ToArray();
        Assert.HasCount(pixels.Length, scores);
        var expected = new float[network.ClassCount];
        var scorer = new MlpScorer(network);
        for (int row = 0; row < pixels.Length; row++)
        {
            scorer.Predict(pixels[row], expected);
            CollectionAssert.AreEqual(expected, scores[row], $"row {row}");
        }
    }

    /// <summary>A NaN or infinity anywhere (in the sixteen-at-a-time part of the row or its rest) refuses the whole row.</summary>
    [TestMethod]
    public void Predict_ANonFiniteFeatureAnywhere_GivesNaN()
    {
        var random = new Random(3);
        int[] sizes = [37, 20, 3]; // 37: two vectors of sixteen and five more
        // First-layer weights all negative: an infinite input would make every hidden unit -inf, which ReLU turns to 0,
        // and the row would score as if blank. Only the check on the input can tell.
        var network = new MlpNetwork(sizes,
            [Enumerable.Range(0, 37 * 20).Select(_ => -0.1f - (float)random.NextDouble()).ToArray(), Enumerable.Range(0, 20 * 3).Select(_ => (float)random.NextDouble() - 0.5f).ToArray()],
            [new float[20], new float[3]]);
        var output = new float[3];
        var scorer = new MlpScorer(network);
        foreach (float bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
            for (int at = 0; at < 37; at++)
            {
                var features = Enumerable.Range(0, 37).Select(i => i % 3 == 0 ? 0f : 0.5f).ToArray();
                features[at] = bad;
                scorer.Predict(features, output);
                Assert.IsTrue(output.All(float.IsNaN), $"{bad} at {at} gave {string.Join(", ", output)}");
            }
    }
}
