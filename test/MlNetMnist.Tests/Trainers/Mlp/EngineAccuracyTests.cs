using Microsoft.ML;
using MlNetMnist.DataViews;
using MlNetMnist.Host.Bench;
using MlNetMnist.Trainers;
using MlNetMnist.Trainers.Engines;

namespace MlNetMnist.Tests.Trainers.Mlp;

/// <summary>The lesson's run (784-50-10, batch 50, lr 0.5, 3 epochs) on the real split with every engine, against the TorchSharp idiom.</summary>
[TestClass]
public sealed class EngineAccuracyTests
{
    static Dataset _train = null!, _valid = null!;
    static double _idiomAccuracy;

    [ClassInitialize]
    public static void LoadMnist_AndTrainTheIdiom(TestContext _)
    {
        var ml = new MLContext(seed: 1);
        var splits = TestData.Splits(ml);
        var scale = ml.Transforms.ScalePixels().Fit(splits.Train);
        _train = Dataset.FromDataView(scale.Transform(splits.Train));
        _valid = Dataset.FromDataView(scale.Transform(splits.Valid));
        using var idiom = new TrainingBenchmark.TorchSharpIdiom(_train, 50, 0.5f, batchSize: 50, seed: 1);
        for (int epoch = 0; epoch < 3; epoch++) idiom.Epoch();
        _idiomAccuracy = idiom.Accuracy(_valid);
    }

    [TestMethod]
    [DataRow("Managed")]
    [DataRow("Autograd")]
    public void ThreeEpochs_ReachTheLessonsAccuracy_AsTheTorchSharpIdiomDoes(string engineName)
    {
        var engine = MlpEngines.Available.Single(e => e.Name == engineName);
        var (learner, model) = TrainingBenchmark.EngineLearner(engine, _train, _valid, 50, batchSize: 50, learningRate: 0.5f, seed: 1);
        using var owned = model;
        double accuracy = learner.Fit(3)[^1].ValidMetric!.Value;
        Console.WriteLine($"{engine}: valid accuracy {accuracy:F4}; TorchSharp idiom {_idiomAccuracy:F4}");
        Assert.IsGreaterThanOrEqualTo(0.96, accuracy);
        // Speed must not be bought with accuracy: no more than half a point below the idiom (above is fine).
        Assert.IsGreaterThanOrEqualTo(_idiomAccuracy - 0.005, accuracy);
    }
}
