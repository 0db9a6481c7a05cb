using Microsoft.ML;
using MlNetMnist.Host.Bench;
using MlNetMnist.Trainers;
using MlNetMnist.Trainers.Learning.Callbacks;

namespace MlNetMnist.Tests.Trainers.Mlp;

/// <summary>FindLearningRate on every task: the finder trains the task's own network and loss, as Fit would, and sweeps to a suggestion.</summary>
[TestClass]
public sealed class LrFinderTasksTests
{
    static readonly MLContext Ml = new(seed: 1);

    static IDataView Normalised(IDataView rows) => Ml.Transforms.NormalizeMeanVariance("Features").Fit(rows).Transform(rows);

    static IDataView Data(string task) => task switch
    {
        "regression" => Normalised(SklearnData.Diabetes(Ml)),
        "binary" => Normalised(SklearnData.BreastCancer(Ml)),
        _ => Normalised(Ml.Transforms.Conversion.MapValueToKey("Label").Fit(SklearnData.Wine(Ml)).Transform(SklearnData.Wine(Ml))),
    };

    static LrFinderResult Find(string task, MlpOptions options, double start, double end, int steps) => task switch
    {
        "regression" => Ml.Regression.Trainers.Mlp(options).FindLearningRate(Data(task), start, end, steps),
        "binary" => Ml.BinaryClassification.Trainers.Mlp(options).FindLearningRate(Data(task), start, end, steps),
        _ => Ml.MulticlassClassification.Trainers.Mlp(options).FindLearningRate(Data(task), start, end, steps),
    };

    static double FirstEpochLoss(string task, MlpOptions options) => task switch
    {
        "regression" => Ml.Regression.Trainers.Mlp(options).Fit(Data(task)).Model.Training.History[0].TrainLoss,
        "binary" => Ml.BinaryClassification.Trainers.Mlp(options).Fit(Data(task)).Model.SubModel.Training.History[0].TrainLoss,
        _ => Ml.MulticlassClassification.Trainers.Mlp(options).Fit(Data(task)).Model.Training.History[0].TrainLoss,
    };

    /// <summary>
    /// One batch of every row at a rate of about 1e-12: the finder's first loss is the initial network's loss on the
    /// task's head (standardised squared error, log-loss of one logit, softmax cross-entropy), which Fit's first epoch reports too.
    /// </summary>
    [TestMethod]
    [DataRow("regression")]
    [DataRow("binary")]
    [DataRow("multiclass")]
    public void FirstLoss_IsTheTasksOwnLossOfTheInitialNetwork_AsFitReportsIt(string task)
    {
        MlpOptions Options() => new() { HiddenLayers = [16], BatchSize = 1000, Epochs = 1, Seed = 3, LearningRate = 1e-12f };
        var curve = Find(task, Options(), 1e-12, 2e-12, steps: 2);
        double fit = FirstEpochLoss(task, Options());
        Console.WriteLine($"{task}: finder's first loss {curve.Losses[0]:G6}, Fit's first epoch {fit:G6}");
        Assert.IsTrue(double.IsFinite(fit) && fit > 0, $"Fit's loss {fit}");
        Assert.AreEqual(fit, curve.Losses[0], 1e-5 * fit);
    }

    [TestMethod]
    [DataRow("regression")]
    [DataRow("binary")]
    [DataRow("multiclass")]
    public void Sweep_FindsAFiniteSuggestion_InsideTheRange(string task)
    {
        var curve = Find(task, new MlpOptions { HiddenLayers = [32], BatchSize = 16, Seed = 1 }, 1e-5, 10, steps: 120);
        Console.WriteLine($"{task}: {curve.LearningRates.Count} steps, suggested {curve.Suggested:G3}, minimum at {curve.Minimum:G3}");
        Assert.IsGreaterThanOrEqualTo(10, curve.LearningRates.Count);
        Assert.IsTrue(curve.Suggested >= 1e-6 && curve.Suggested < 1, $"suggested {curve.Suggested}");
        Assert.IsTrue(curve.SmoothedLosses.Min() < curve.SmoothedLosses[0], "the loss fell somewhere along the sweep");
    }
}
