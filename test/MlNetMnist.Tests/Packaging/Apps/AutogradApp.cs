using Microsoft.ML;
using MlNetMnist.DataViews;
using MlNetMnist.Trainers;
using MlNetMnist.Trainers.Engines.Autograd;

// samples/QuickStart's program on the add-on's autograd engine (libtorch), one epoch on the first 5,000 training rows.
var ml = new MLContext(seed: 1);
MnistFiles files = await MnistFiles.EnsureAsync();
MnistSplits data = ml.Data.LoadMnist(files);

var pipeline = ml.Transforms.ScalePixels("Features", "Pixels")
    .Append(ml.MulticlassClassification.Trainers.Mlp(new MlpOptions
    {
        HiddenLayers = [50], Epochs = 1, BatchSize = 50, LearningRate = 0.5f, Engine = AutogradEngine.Instance,
    }))
    .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedDigit", "PredictedLabel"));

var model = pipeline.Fit(ml.Data.TakeRows(data.Train, 5000));
var metrics = ml.MulticlassClassification.Evaluate(model.Transform(data.Test));
Console.WriteLine($"test accuracy {metrics.MicroAccuracy:F4}");

ml.Model.Save(model, data.Train.Schema, "mnist-mlp.zip");
var loaded = ml.Model.Load("mnist-mlp.zip", out _);
var engine = ml.Model.CreatePredictionEngine<Digit, DigitPrediction>(loaded);
var first = ml.Data.CreateEnumerable<Digit>(data.Test, reuseRowObject: false).First();
Console.WriteLine($"the first test digit is a {engine.Predict(first).PredictedDigit}");
