using System.Numerics.Tensors;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMnist.DataViews;
using MlNetMnist.Trainers;
using MlNetMnist.Trainers.Models;

namespace MlNetMnist.Tests.Serving;

/// <summary>
/// Scoring made faster must score the same, bit for bit: MlpNetwork.Predict and the PredictionEngine of a saved model
/// against the plain computation (per unit, the bias then one fused multiply-add per input in ascending order; ReLU;
/// max-subtracted softmax) on real test digits, zeros and all.
/// </summary>
[TestClass]
public sealed class ScoringBitsTests
{
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
                float sum = b[j];
                for (int k = 0; k < inSize; k++) sum = MathF.FusedMultiplyAdd(input[k], w[j * inSize + k], sum);
                output[j] = sum;
            }
            if (l < network.LayerCount - 1)
                for (int j = 0; j < outSize; j++) output[j] = Math.Max(output[j], 0f);
            input = output;
        }
        // Softmax with the row's largest logit subtracted first (stable for any finite logits).
        // TensorPrimitives' vectorised Exp, as the model's: MathF.Exp rounds some values differently.
        var probabilities = new float[input.Length];
        TensorPrimitives.Subtract(input, input.Max(), probabilities);
        TensorPrimitives.Exp(probabilities, probabilities);
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
        foreach (var digit in ServingModels.Test)
        {
            var features = digit.Pixels.Select(p => p / 255f).ToArray();
            var expected = Reference(network, features);
            network.Predict(features, output);
            CollectionAssert.AreEqual(expected, output);
            CollectionAssert.AreEqual(expected, engine.Predict(digit).Score);
        }
    }
}
