using Microsoft.ML;
using MlNetMnist.DataViews;
using MlNetMnist.Trainers;

namespace MlNetMnist.Tests;

/// <summary>Two small models (one epoch, different seeds) trained once per test run, and the test digits to ask them about.</summary>
internal static class ServingModels
{
    static readonly Lazy<(TempDirectory Dir, string First, string Second, Digit[] Test)> Trained = new(() =>
    {
        var ml = new MLContext(seed: 1);
        var data = TestData.Splits(ml);
        var dir = TestData.TempDirectory();
        string Train(int seed, string name)
        {
            var model = ml.Transforms.ScalePixels("Features", "Pixels")
                .Append(ml.MulticlassClassification.Trainers.Mlp(new MlpOptions { HiddenLayers = [32], Epochs = 1, Seed = seed }))
                .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedDigit", "PredictedLabel"))
                .Fit(data.Train);
            string path = dir.File(name);
            ml.Model.Save(model, data.Train.Schema, path);
            return path;
        }
        var test = ml.Data.CreateEnumerable<Digit>(data.Test, reuseRowObject: false).Take(1000).ToArray();
        return (dir, Train(1, "first.zip"), Train(2, "second.zip"), test);
    });

    /// <summary>A model zip; copy it before changing it.</summary>
    public static string First => Trained.Value.First;

    /// <summary>Another model zip, which answers differently on some test digits.</summary>
    public static string Second => Trained.Value.Second;

    /// <summary>The first 1,000 test digits.</summary>
    public static Digit[] Test => Trained.Value.Test;

    /// <summary>What a fresh PredictionEngine of <paramref name="zip"/> says about each test digit.</summary>
    public static DigitPrediction[] Offline(string zip)
    {
        var ml = new MLContext();
        var engine = ml.Model.CreatePredictionEngine<Digit, DigitPrediction>(ml.Model.Load(zip, out _));
        return Test.Select(d => engine.Predict(d)).ToArray();
    }
}
