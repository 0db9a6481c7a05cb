using System.Diagnostics;
using Microsoft.ML;
using MlNetMnist.Trainers.Engines;
using MlNetMnist.Trainers.Engines.Autograd;
using MlNetMnist.DataViews;
using MlNetMnist.Trainers;
using MlNetMnist.Trainers.Learning;
using MlNetMnist.Trainers.Losses;
using MlNetMnist.Trainers.Nn;
using MlNetMnist.Trainers.Optim;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetMnist.Tests.Trainers.TorchSharp;

[TestClass]
public sealed class LearnerTests
{
    /// <summary>Two separable blobs: class = sign of the first feature.</summary>
    static DataLoader Blobs(int rows, int seed)
    {
        var random = new Random(seed);
        var features = new float[rows * 4];
        var labels = new int[rows];
        for (int i = 0; i < rows; i++)
        {
            labels[i] = i % 2;
            for (int j = 0; j < 4; j++) features[i * 4 + j] = (float)random.NextDouble() - 0.5f;
            features[i * 4] += labels[i] == 1 ? 2 : -2;
        }
        return new DataLoader(new Dataset(features, labels, 4, 2), new DataLoaderOptions { BatchSize = 16, Shuffle = true, Seed = seed });
    }

    [TestMethod]
    public void Fit_ConvergesOnSeparableData_AndReportsEveryBatchAndEpoch()
    {
        using var model = Sequential.Mlp([4, 8, 2], new Generator(1));
        using var sgd = new Sgd(model.Parameters(), 0.1);
        var reports = new List<TrainingProgress>();
        var learner = new Learner(new ModuleTrainable(model, Loss.CrossEntropy, sgd), Blobs(256, 1), Blobs(64, 2));
        var history = learner.Fit(3, new SyncProgress<TrainingProgress>(reports.Add));
        Assert.AreEqual(3, history.Count);
        Assert.AreEqual(1.0, history[^1].ValidMetric!.Value);
        Assert.IsTrue(history[^1].TrainLoss < history[0].TrainLoss, $"train loss {history[0].TrainLoss} then {history[^1].TrainLoss}"); // false for NaN too
        Assert.AreEqual(3 * 16 + 3, reports.Count);
    }

    [TestMethod]
    public void Fit_StopsWhenCancelled()
    {
        using var model = Sequential.Mlp([4, 8, 2], new Generator(1));
        using var sgd = new Sgd(model.Parameters(), 0.1);
        using var cancel = new CancellationTokenSource();
        var learner = new Learner(new ModuleTrainable(model, Loss.CrossEntropy, sgd), Blobs(256, 1));
        int batches = 0;
        Assert.ThrowsExactly<OperationCanceledException>(() =>
            learner.Fit(10, new SyncProgress<TrainingProgress>(p => { if (++batches == 5) cancel.Cancel(); }), cancel.Token));
        Assert.AreEqual(5, batches);
    }

    [TestMethod]
    [DataRow("Managed")]
    [DataRow("Autograd")]
    public void Training_IsDeterministic_ForASeed(string engine)
    {
        float[] Train()
        {
            var ml = new MLContext(seed: 1);
            var data = ml.Data.TakeRows(TestData.Splits(ml).Train, 5000);
            var options = new MlpOptions { Seed = 4, Epochs = 2, Engine = MlpEngines.Available.Single(e => e.Name == engine) };
            var model = ml.Transforms.ScalePixels().Append(ml.MulticlassClassification.Trainers.Mlp(options)).Fit(data);
            return model.LastTransformer.Model.Network.GetWeights(0);
        }
        CollectionAssert.AreEqual(Train(), Train(), "bit-identical weights with the default thread count");
    }

    [TestMethod]
    public void TenEpochsOnMnist_KeepResidentMemoryFlat()
    {
        var ml = new MLContext(seed: 1);
        var splits = TestData.Splits(ml);
        var scale = ml.Transforms.ScalePixels().Fit(splits.Train);
        var train = Dataset.FromDataView(scale.Transform(splits.Train));
        var loader = new DataLoader(train, new DataLoaderOptions { BatchSize = 50, Shuffle = true, Seed = 1 });
        using var model = Sequential.Mlp([784, 50, 10], new Generator(1));
        using var sgd = new Sgd(model.Parameters(), 0.5);
        var learner = new Learner(new ModuleTrainable(model, Loss.CrossEntropy, sgd), loader);
        var resident = new List<long>();
        var progress = new SyncProgress<TrainingProgress>(p =>
        {
            if (p.EpochEnd is null) return;
            GC.Collect();
            GC.WaitForPendingFinalizers();
            resident.Add(Process.GetCurrentProcess().WorkingSet64);
        });
        learner.Fit(10, progress);
        Console.WriteLine("resident MB after each epoch: " + string.Join(" ", resident.Select(r => (r / 1e6).ToString("F0"))));
        Assert.IsLessThan(resident[0] * 1.10, (double)resident.Max());
    }
}
