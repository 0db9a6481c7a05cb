using System.Buffers.Binary;
using MlNetMnist.Host.Commands;
using MlNetMnist.DataViews;
using MlNetMnist.Host.Bench;
using MlNetMnist.Host;
using MlNetMnist.Tests.Host;
using MlNetMnist.Trainers.Engines.Managed;
using MlNetMnist.Trainers.Engines;
using MlNetMnist.Trainers.Learning.Schedules;
using Microsoft.ML;

namespace MlNetMnist.Tests.Host;

/// <summary>The loop on the command line: train with a recipe, info shows it, resume, lr-find's PNG, bench --to-accuracy's stopping rule.</summary>
[TestClass]
public sealed class LoopCliTests
{

    static string Data => TestData.MnistFolder;

    [TestMethod]
    public async Task Train_WithARecipe_InfoShowsIt_AndResumeContinuesIt()
    {
        using var dir = TestData.TempDirectory();
        string first = dir.File("first.zip"), second = dir.File("second.zip");
        var trained = await TestCli.Run("train", "--data", Data, "--hidden", "16", "--epochs", "2", "--optimizer", "adam", "--schedule", "onecycle",
            "--lr", "0.01", "--early-stopping", "--patience", "2", "--out", first);
        Assert.AreEqual(0, trained.Exit, trained.Err);
        var info = await TestCli.Run("info", "--model", first);
        StringAssert.Contains(info.Out, "adam (lr 0.01");
        StringAssert.Contains(info.Out, "onecycle (warm-up 30 %");
        StringAssert.Contains(info.Out, "patience 2");
        StringAssert.Contains(info.Out, "resumable");

        // Options not given are the model's: 16 hidden units, Adam, one-cycle; --epochs counts all epochs.
        var resumed = await TestCli.Run("train", "--data", Data, "--resume", first, "--epochs", "3", "--out", second);
        Assert.AreEqual(0, resumed.Exit, resumed.Err);
        var after = await TestCli.Run("info", "--model", second);
        StringAssert.Contains(after.Out, "adam (lr 0.01");
        StringAssert.Contains(after.Out, "│ 3     │");

        var done = await TestCli.Run("train", "--data", Data, "--resume", second, "--epochs", "3", "--out", dir.File("third.zip"));
        Assert.AreEqual(1, done.Exit);
        StringAssert.Contains(done.Err, "has trained 3 epochs");
    }

    [TestMethod]
    public async Task Train_RejectsAnUnknownOptimizerOrSchedule()
    {
        var optimizer = await TestCli.Run("train", "--optimizer", "rmsprop");
        Assert.AreEqual(2, optimizer.Exit);
        StringAssert.Contains(optimizer.Err, "--optimizer must be sgd, adam or adamw, got 'rmsprop'");
        var schedule = await TestCli.Run("train", "--schedule", "step");
        Assert.AreEqual(2, schedule.Exit);
        StringAssert.Contains(schedule.Err, "--schedule must be constant, onecycle or cosine");
    }

    [TestMethod]
    public async Task LrFind_PrintsASuggestion_AndWritesTheCurve()
    {
        using var dir = TestData.TempDirectory();
        string png = dir.File("lr.png");
        var (exit, output, error) = await TestCli.Run("lr-find", "--data", Data, "--hidden", "16", "--optimizer", "adam", "--steps", "80", "--out", png);
        Assert.AreEqual(0, exit, error);
        StringAssert.Contains(output, "suggested learning rate");
        byte[] bytes = File.ReadAllBytes(png);
        Assert.AreEqual((800, 500), (BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20))));
        var bad = await TestCli.Run("lr-find", "--start", "1", "--end", "0.1");
        Assert.AreEqual(2, bad.Exit);
    }

    [TestMethod]
    public void ToAccuracy_StopsAtTheFirstEpochThatReachesTheTarget_OnBothSides()
    {
        var ml = new MLContext(seed: 1);
        var splits = TestData.Splits(ml);
        var scale = ml.Transforms.ScalePixels().Fit(splits.Train);
        var train = Dataset.FromDataView(ml.Data.TakeRows(scale.Transform(splits.Train), 4000));
        var valid = Dataset.FromDataView(ml.Data.TakeRows(scale.Transform(splits.Valid), 1000));
        var recipe = new Recipe([32], 64, MlpOptimizer.Adam(), 0.003f, new OneCycleSchedule(), 6);
        foreach (var outcome in new[] { ToAccuracy.Ours(ManagedEngine.Instance, train, valid, recipe, 0.85), ToAccuracy.Idiom(train, valid, recipe, 0.85) })
        {
            Assert.IsNotNull(outcome.Seconds);
            Assert.IsGreaterThanOrEqualTo(0.85, outcome.Accuracies[^1]);
            Assert.IsTrue(outcome.Accuracies.SkipLast(1).All(a => a < 0.85), string.Join(" ", outcome.Accuracies));
            Assert.AreEqual(outcome.Epochs, outcome.Accuracies.Count);
        }
        var never = ToAccuracy.Ours(ManagedEngine.Instance, train, valid, recipe with { Epochs = 1 }, 0.999);
        Assert.IsNull(never.Seconds);
    }
}
