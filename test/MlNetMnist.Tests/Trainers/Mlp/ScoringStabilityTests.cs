using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMnist.DataViews;
using MlNetMnist.Trainers;
using MlNetMnist.Trainers.Engines.Managed;
using MlNetMnist.Trainers.Models;

namespace MlNetMnist.Tests.Trainers.Mlp;

/// <summary>
/// A trained model scored on features it was not trained for: unscaled pixels (0..255, the commonest mistake), far
/// larger values, NaN and infinity. Finite features give finite probabilities summing to 1 on every scoring path;
/// non-finite ones give ML.NET's "cannot score" result (NaN scores, missing PredictedLabel), never a class.
/// </summary>
[TestClass]
public sealed class ScoringStabilityTests
{
    public sealed class Row
    {
        [KeyType(10)] public uint Label { get; set; }
        [VectorType(784)] public float[] Features { get; set; } = [];
    }

    public sealed class Scored
    {
        public uint PredictedLabel { get; set; }
        public float[] Score { get; set; } = [];
    }

    static MLContext _ml = null!;
    static ITransformer _model = null!;
    static Row[] _rows = null!;
    static TempDirectory _dir = null!;

    [ClassInitialize]
    public static void TrainOnScaledPixels(TestContext _)
    {
        _ml = new MLContext(seed: 1);
        var splits = TestData.Splits(_ml);
        var scale = _ml.Transforms.ScalePixels("Features", "Pixels").Fit(splits.Train);
        var train = scale.Transform(_ml.Data.TakeRows(splits.Train, 10_000));
        _model = _ml.MulticlassClassification.Trainers.Mlp(new MlpOptions { Epochs = 1 }).Fit(train);
        var test = scale.Transform(_ml.Data.TakeRows(splits.Test, 200));
        // A [KeyType] property is written 0-based and read back raw (1-based): ARCHITECTURE.md's asymmetry.
        _rows = test.GetColumn<uint>("Label").Zip(test.GetColumn<float[]>("Features"),
            (label, features) => new Row { Label = label - 1, Features = features }).ToArray();
        _dir = TestData.TempDirectory();
    }

    [ClassCleanup]
    public static void Cleanup() => _dir?.Dispose();

    static IDataView Scaled(float factor) =>
        _ml.Data.LoadFromEnumerable(_rows.Select(r => new Row { Label = r.Label, Features = r.Features.Select(x => x * factor).ToArray() }));

    static void AssertProbabilities(IEnumerable<float[]> scores, string what)
    {
        int n = 0;
        foreach (var s in scores)
        {
            Assert.IsTrue(s.All(float.IsFinite), $"{what}, row {n}: scores {string.Join(' ', s)}");
            Assert.AreEqual(1.0, s.Sum(x => (double)x), 1e-6, $"{what}, row {n}");
            n++;
        }
        Assert.AreEqual(_rows.Length, n, what);
    }

    [TestMethod]
    [DataRow(255f)]
    [DataRow(1e4f)]
    [DataRow(1e30f)]
    [DataRow(-1e30f)]
    public void FiniteFeatures_OfAnyScale_GiveProbabilitiesSummingTo1_OnEveryPath(float factor)
    {
        var data = Scaled(factor);
        var scored = _model.Transform(data);
        AssertProbabilities(scored.GetColumn<float[]>("Score"), $"Transform x{factor}");
        Assert.IsTrue(scored.GetColumn<uint>("PredictedLabel").All(k => k is >= 1 and <= 10), "every row gets a class");

        var engine = _ml.Model.CreatePredictionEngine<Row, Scored>(_model);
        AssertProbabilities(_rows.Select(r => engine.Predict(new Row { Features = r.Features.Select(x => x * factor).ToArray() }).Score.ToArray()),
            $"PredictionEngine x{factor}");

        var metrics = _ml.MulticlassClassification.Evaluate(scored);
        Assert.IsTrue(double.IsFinite(metrics.LogLoss), $"Evaluate x{factor}: log-loss {metrics.LogLoss}");

        string zip = _dir.File($"model-{factor}.zip");
        _ml.Model.Save(_model, data.Schema, zip);
        AssertProbabilities(_ml.Model.Load(zip, out _).Transform(data).GetColumn<float[]>("Score"), $"loaded zip x{factor}");
    }

    [TestMethod]
    public void UnscaledPixels_StillMostlyPredictTheDigit()
    {
        // Not the model's input scale, yet the argmax is scale-free for the first layer: the point is a usable answer, not NaN.
        var scored = _model.Transform(Scaled(255f));
        var labels = _rows.Select(r => r.Label + 1).ToArray();
        double accuracy = scored.GetColumn<uint>("PredictedLabel").Zip(labels, (p, l) => p == l ? 1.0 : 0.0).Average();
        Assert.IsGreaterThan(0.5, accuracy, $"accuracy {accuracy} on unscaled pixels");
    }

    [TestMethod]
    [DataRow(float.NaN)]
    [DataRow(float.PositiveInfinity)]
    [DataRow(float.NegativeInfinity)]
    public void NonFiniteFeature_GivesNaNScores_AndAMissingPredictedLabel(float bad)
    {
        var features = (float[])_rows[0].Features.Clone();
        features[300] = bad;
        var row = new Row { Label = _rows[0].Label, Features = features };

        var engine = _ml.Model.CreatePredictionEngine<Row, Scored>(_model);
        var predicted = engine.Predict(row);
        Assert.IsTrue(predicted.Score.All(float.IsNaN), $"scores {string.Join(' ', predicted.Score)}");
        Assert.AreEqual(0u, predicted.PredictedLabel, "missing key, not a class");

        var scored = _model.Transform(_ml.Data.LoadFromEnumerable(new[] { row, _rows[1] }));
        var keys = scored.GetColumn<uint>("PredictedLabel").ToArray();
        Assert.AreEqual(0u, keys[0]);
        Assert.IsTrue(keys[1] is >= 1 and <= 10, "the next row scores normally");
    }

    [TestMethod]
    public void Network_ScoresHugeLogits_WithoutOverflow()
    {
        // One layer whose logits are 1e30 apart: exp without the max subtracted overflows to NaN.
        var network = new MlpNetwork([2, 3], [[1e30f, 0, 0, 1e30f, -1e30f, 0]], [[0, 0, 0]]);
        var p = new float[3];
        new MlpScorer(network).Predict([1f, 0.5f], p);
        CollectionAssert.AreEqual(new[] { 1f, 0f, 0f }, p);
    }
}
