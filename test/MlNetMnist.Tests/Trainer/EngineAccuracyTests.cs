using Microsoft.ML;
using MlNetMnist.DataViews;
using MlNetMnist.Trainers;
using MlNetMnist.Trainers.Benchmarking;
using MlNetMnist.Trainers.Learning;
using static TorchSharp.torch;

namespace MlNetMnist.Tests.Trainer;

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
        using var idiom = new TrainingBenchmark.TorchSharpIdiom(_train, 50, 0.5, seed: 1);
        for (int epoch = 0; epoch < 3; epoch++) idiom.Epoch(50);
        _idiomAccuracy = idiom.Accuracy(_valid);
    }

    [TestMethod]
    [DataRow(MlpEngine.Managed)]
    [DataRow(MlpEngine.Fused)]
    [DataRow(MlpEngine.Autograd)]
    public void ThreeEpochs_ReachTheLessonsAccuracy_AsTheTorchSharpIdiomDoes(MlpEngine engine)
    {
        using var generator = new Generator(1);
        using var model = MlpEngines.Create(engine, [784, 50, 10], 1000, 0.5f, generator: generator);
        var learner = new Learner(model,
            new DataLoader(_train, new DataLoaderOptions { BatchSize = 50, Shuffle = true, Seed = 1 }),
            new DataLoader(_valid, new DataLoaderOptions { BatchSize = 1000 }));
        double accuracy = learner.Fit(3)[^1].ValidAccuracy!.Value;
        Console.WriteLine($"{engine}: valid accuracy {accuracy:F4}; TorchSharp idiom {_idiomAccuracy:F4}");
        Assert.IsGreaterThanOrEqualTo(0.96, accuracy);
        // Speed must not be bought with accuracy: no more than half a point below the idiom (above is fine).
        Assert.IsGreaterThanOrEqualTo(_idiomAccuracy - 0.005, accuracy);
    }
}
