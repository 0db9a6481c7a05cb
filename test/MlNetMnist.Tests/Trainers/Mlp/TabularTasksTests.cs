using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MlNetMnist.Host.Bench;
using MlNetMnist.Trainers;
using MlNetMnist.Trainers.Engines;
using MlNetMnist.Trainers.Learning;
using MlNetMnist.Trainers.Onnx;

namespace MlNetMnist.Tests.Trainers.Mlp;

/// <summary>
/// ML.NET's tools on the regression and binary MLPs, saved and reloaded: Evaluate, PredictionEngine, both
/// PermutationFeatureImportance overloads, ONNX export scored by ONNX Runtime, CancelExecution, example weights.
/// </summary>
[TestClass]
public sealed class TabularTasksTests
{
    static MlpOptions Short() => new() { HiddenLayers = [32], Epochs = 40, BatchSize = 32, Seed = 1, Optimizer = MlpOptimizer.AdamW(weightDecay: 0.01f), LearningRate = 3e-3f };

    static (MLContext Ml, IDataView Data, ITransformer Loaded, TempDirectory Dir) FitSaveLoad(Func<MLContext, IDataView> data, Func<MLContext, IEstimator<ITransformer>> trainer)
    {
        var ml = new MLContext(seed: 1);
        var rows = data(ml);
        var model = ml.Transforms.NormalizeMeanVariance("Features").Append(trainer(ml)).Fit(rows);
        var dir = TestData.TempDirectory();
        ml.Model.Save(model, rows.Schema, dir.File("model.zip"));
        var loaded = ml.Model.Load(dir.File("model.zip"), out _);
        var before = model.Transform(rows).GetColumn<float>("Score").ToArray();
        var after = loaded.Transform(rows).GetColumn<float>("Score").ToArray();
        CollectionAssert.AreEqual(before, after, "the loaded model scores bit for bit as the trained one");
        return (ml, rows, loaded, dir);
    }

    sealed class Patient
    {
        [VectorType(10)] public float[] Features { get; set; } = [];
    }

    sealed class Progression
    {
        public float Score { get; set; }
    }

    sealed class Tumour
    {
        [VectorType(30)] public float[] Features { get; set; } = [];
    }

    sealed class Diagnosis
    {
        public float Score { get; set; }
        public float Probability { get; set; }
        public bool PredictedLabel { get; set; }
    }

    [TestMethod]
    public void Regression_SavedAndLoaded_EvaluatesPredictsExplainsAndExports()
    {
        var (ml, data, loaded, dir) = FitSaveLoad(SklearnData.Diabetes, ml => ml.Regression.Trainers.Mlp(Short()));
        using var _ = dir;
        var scored = loaded.Transform(data);
        var metrics = ml.Regression.Evaluate(scored);
        Console.WriteLine($"diabetes (training rows) R² {metrics.RSquared:F3}, RMSE {metrics.RootMeanSquaredError:F1}");
        Assert.IsTrue(metrics.RSquared > 0.4, $"R² {metrics.RSquared}");
        Assert.IsTrue(metrics.RootMeanSquaredError < 70, "scores are on the raw target's scale (the label's deviation is 77)");

        var features = data.GetColumn<float[]>("Features").First();
        var engine = ml.Model.CreatePredictionEngine<Patient, Progression>(loaded);
        Assert.AreEqual(scored.GetColumn<float>("Score").First(), engine.Predict(new Patient { Features = features }).Score);

        var predictor = ((TransformerChain<ITransformer>)loaded).OfType<RegressionPredictionTransformer<MlpScoreModelParameters>>().Single();
        var typed = ml.Regression.PermutationFeatureImportance(predictor, scored, permutationCount: 2);
        var named = ml.Regression.PermutationFeatureImportance(loaded, scored, permutationCount: 2);
        Assert.AreEqual(10, typed.Length);
        Assert.AreEqual(10, named.Count);
        Assert.IsTrue(named.Values.Any(m => m.RSquared.Mean < -0.01), "permuting some feature costs R²");

        AssertOnnxAgrees(ml, loaded, data, dir, "Score");
    }

    [TestMethod]
    public void Binary_SavedAndLoaded_IsCalibrated_EvaluatesPredictsExplainsAndExports()
    {
        var (ml, data, loaded, dir) = FitSaveLoad(SklearnData.BreastCancer, ml => ml.BinaryClassification.Trainers.Mlp(Short()));
        using var _ = dir;
        var scored = loaded.Transform(data);
        var metrics = ml.BinaryClassification.Evaluate(scored);
        Console.WriteLine($"breast cancer (training rows) AUC {metrics.AreaUnderRocCurve:F4}, log-loss {metrics.LogLoss:F4}");
        Assert.IsTrue(metrics.AreaUnderRocCurve > 0.99, $"AUC {metrics.AreaUnderRocCurve}");

        var rows = ml.Data.CreateEnumerable<Diagnosis>(scored, reuseRowObject: false).ToArray();
        foreach (var row in rows)
        {
            Assert.AreEqual(1 / (1 + Math.Exp(-row.Score)), row.Probability, 1e-6, "Probability is the logit's sigmoid");
            Assert.AreEqual(row.Score > 0, row.PredictedLabel);
        }
        var engine = ml.Model.CreatePredictionEngine<Tumour, Diagnosis>(loaded);
        var predicted = engine.Predict(new Tumour { Features = data.GetColumn<float[]>("Features").First() });
        Assert.AreEqual(rows[0].Score, predicted.Score);
        Assert.AreEqual(rows[0].Probability, predicted.Probability);

        // ML.NET 5 has no ITransformer overload for binary classification: the typed one, on the loaded predictor.
        var predictor = (ISingleFeaturePredictionTransformer<object>)((TransformerChain<ITransformer>)loaded).LastTransformer;
        var importance = ml.BinaryClassification.PermutationFeatureImportance(predictor, scored, permutationCount: 1);
        Assert.AreEqual(30, importance.Length);
        Assert.IsTrue(importance.Any(m => m.AreaUnderRocCurve.Mean < 0 || m.Accuracy.Mean < 0), "permuting some feature costs");

        AssertOnnxAgrees(ml, loaded, data, dir, "Score", "Probability");
    }

    static void AssertOnnxAgrees(MLContext ml, ITransformer model, IDataView data, TempDirectory dir, params string[] columns)
    {
        string path = dir.File("model.onnx");
        using (var stream = File.Create(path)) OnnxExport.Export(ml, model, data.Schema, stream);
        var features = data.GetColumn<float[]>("Features").ToArray();
        var input = new DenseTensor<float>(features.SelectMany(f => f).ToArray(), [features.Length, features[0].Length]);
        using var session = new InferenceSession(path);
        CollectionAssert.AreEqual(new[] { "Features" }, session.InputMetadata.Keys.ToArray(), $"the graph takes the features alone, not the label: {string.Join(", ", session.InputMetadata.Keys)}");
        var inputs = new List<NamedOnnxValue> { NamedOnnxValue.CreateFromTensor("Features", input) };
        var scored = model.Transform(data);
        foreach (string column in columns)
        {
            string output = session.OutputMetadata.Keys.Last(k => k.StartsWith(column + ".", StringComparison.Ordinal) || k == column);
            using var results = session.Run(inputs, [output]);
            var onnx = results[0].AsEnumerable<float>().ToArray();
            var expected = scored.GetColumn<float>(column).ToArray();
            Assert.AreEqual(expected.Length, onnx.Length, column);
            double worst = expected.Zip(onnx, (e, o) => Math.Abs(e - o) / Math.Max(1, Math.Abs(e))).Max();
            Assert.IsTrue(worst < 1e-5, $"{column}: ONNX Runtime differs from ML.NET by {worst}");
        }
    }

    [TestMethod]
    [DataRow("regression")]
    [DataRow("binary")]
    public void CancelExecution_StopsTheFit(string task)
    {
        var ml = new MLContext(seed: 1);
        int batches = 0;
        var options = Short();
        options.Epochs = 1000;
        options.Progress = new SyncProgress<TrainingProgress>(p => { if (p.EpochEnd is null && ++batches == 5) CancelExecutionTests.CancelExecution(ml); });
        IEstimator<ITransformer> trainer = task == "regression" ? ml.Regression.Trainers.Mlp(options) : ml.BinaryClassification.Trainers.Mlp(options);
        var data = task == "regression" ? SklearnData.Diabetes(ml) : SklearnData.BreastCancer(ml);
        Assert.ThrowsExactly<OperationCanceledException>(() => trainer.Fit(data));
        Assert.AreEqual(5, batches);
    }

    sealed class WeightedPoint
    {
        [VectorType(2)] public float[] Features { get; set; } = [];
        public float Label { get; set; }
        public float Weight { get; set; }
    }

    [TestMethod]
    public void ExampleWeights_ZeroWeightRowsDoNotCount_InRegression()
    {
        // y = x0 + x1 on rows of weight 1; rows of weight 0 carry wild labels and must change nothing.
        var random = new Random(5);
        var clean = Enumerable.Range(0, 400).Select(_ => new[] { (float)random.NextDouble(), (float)random.NextDouble() })
            .Select(x => new WeightedPoint { Features = x, Label = x[0] + x[1], Weight = 1 }).ToList();
        var noisy = clean.Select((p, i) => i % 4 == 0 ? new WeightedPoint { Features = p.Features, Label = 1000, Weight = 0 } : p).ToList();
        var kept = clean.Where((p, i) => i % 4 != 0).ToList();
        float[] Fit(List<WeightedPoint> rows)
        {
            var ml = new MLContext(seed: 1);
            var options = Short();
            options.ExampleWeightColumnName = "Weight";
            options.Shuffle = false;
            options.BatchSize = 1000;
            var data = ml.Data.LoadFromEnumerable(rows);
            return ml.Regression.Trainers.Mlp(options).Fit(data).Transform(ml.Data.LoadFromEnumerable(clean)).GetColumn<float>("Score").ToArray();
        }
        var withZeros = Fit(noisy);
        var without = Fit(kept);
        double worst = withZeros.Zip(without, (a, b) => Math.Abs(a - b)).Max();
        Assert.IsTrue(worst < 1e-4, $"rows of weight 0 changed the scores by {worst}");
    }
}
