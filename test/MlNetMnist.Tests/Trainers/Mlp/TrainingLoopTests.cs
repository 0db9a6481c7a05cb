using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMnist.DataViews;
using MlNetMnist.Host.Bench;
using MlNetMnist.Trainers;
using MlNetMnist.Trainers.Engines;
using MlNetMnist.Trainers.Engines.Managed;
using MlNetMnist.Trainers.Learning;
using MlNetMnist.Trainers.Learning.Schedules;

namespace MlNetMnist.Tests.Trainers.Mlp;

/// <summary>The loop users ask for, through MlpTrainer on real MNIST: resume, early stopping, the recipe, the saved recipe and state.</summary>
[TestClass]
public sealed class TrainingLoopTests
{
    static MLContext _ml = null!;
    static IDataView _train = null!, _valid = null!, _small = null!, _smallValid = null!;

    [ClassInitialize]
    public static void Load(TestContext _)
    {
        _ml = new MLContext(seed: 1);
        var splits = TestData.Splits(_ml);
        var scale = _ml.Transforms.ScalePixels().Fit(splits.Train);
        _train = _ml.Data.Cache(scale.Transform(splits.Train));
        _valid = _ml.Data.Cache(scale.Transform(splits.Valid));
        _small = _ml.Data.TakeRows(_train, 3000);
        _smallValid = _ml.Data.TakeRows(_valid, 2000);
    }

    static MlpModelParameters Fit(MlpOptions options, IDataView data, MlpModelParameters? start = null) => FitTransformer(options, data, start).Model;

    static MulticlassPredictionTransformer<MlpModelParameters> FitTransformer(MlpOptions options, IDataView data, MlpModelParameters? start = null)
    {
        var trainer = _ml.MulticlassClassification.Trainers.Mlp(options);
        return start is null ? trainer.Fit(data) : trainer.Fit(data, start);
    }

    static MlpOptions Small(int epochs) => new()
    {
        HiddenLayers = [32], Epochs = epochs, BatchSize = 64, Seed = 7, Optimizer = MlpOptimizer.Adam(), LearningRate = 0.01f, Schedule = new OneCycleSchedule(),
        ValidationData = _smallValid,
    };

    /// <summary>Ends the fit after <paramref name="epochs"/> epochs, as a user's callback would.</summary>
    sealed class StopAfter(int epochs) : LearnerCallback
    {
        public override void AfterEpoch(Learner learner)
        {
            if (learner.Epoch + 1 == epochs) throw new CancelFitException();
        }
    }

    static MlpModelParameters SaveAndLoad(MulticlassPredictionTransformer<MlpModelParameters> transformer, TempDirectory dir)
    {
        string path = dir.File("model.zip");
        _ml.Model.Save(transformer, _small.Schema, path);
        return ((MulticlassPredictionTransformer<MlpModelParameters>)_ml.Model.Load(path, out _)).Model;
    }

    [TestMethod]
    public void Resume_ThroughTheZip_EqualsOneLongRun_BitForBit()
    {
        // Adam under one-cycle: the optimizer's moments and step count, the schedule's step and each epoch's shuffle must all continue.
        var straight = Fit(Small(4), _small);
        var options = Small(4);
        options.Callbacks.Add(new StopAfter(2));
        var half = FitTransformer(options, _small);
        Assert.AreEqual(2, half.Model.Training.History.Count);
        Assert.IsNotNull(half.Model.OptimizerState);
        using var dir = TestData.TempDirectory();
        var loaded = SaveAndLoad(half, dir);
        var resumed = Fit(Small(4), _small, loaded);

        for (int l = 0; l < straight.Network.LayerCount; l++)
        {
            CollectionAssert.AreEqual(straight.Network.GetWeights(l), resumed.Network.GetWeights(l), $"layer {l} weights");
            CollectionAssert.AreEqual(straight.Network.GetBiases(l), resumed.Network.GetBiases(l), $"layer {l} biases");
        }
        CollectionAssert.AreEqual(new[] { 1, 2, 3, 4 }, resumed.Training.History.Select(e => e.Epoch).ToArray());
        CollectionAssert.AreEqual(straight.Training.History.Select(e => e.ValidLoss).ToArray(), resumed.Training.History.Select(e => e.ValidLoss).ToArray());
        Assert.AreEqual(straight.OptimizerState!.Steps, resumed.OptimizerState!.Steps);
    }

    [TestMethod]
    public void Resume_OfAnotherShape_OrWithNoEpochsLeft_FailsNamingWhy()
    {
        var model = Fit(Small(1), _small);
        var options = Small(2);
        options.HiddenLayers = [16];
        var shape = Assert.Throws<Exception>(() => Fit(options, _small, model));
        StringAssert.Contains(shape.Message, "784-32-10");
        StringAssert.Contains(shape.Message, "784-16-10");
        var epochs = Assert.Throws<Exception>(() => Fit(Small(1), _small, model));
        StringAssert.Contains(epochs.Message, "trained 1 epochs");
    }

    [TestMethod]
    public void EarlyStopping_StopsAfterPatience_AndKeepsTheBestEpochsWeights()
    {
        // A wide net at a high constant rate on 3,000 rows overfits within a few epochs: validation loss turns up.
        var options = new MlpOptions
        {
            HiddenLayers = [128], Epochs = 30, BatchSize = 32, Seed = 3, Optimizer = MlpOptimizer.Adam(), LearningRate = 0.003f,
            ValidationData = _smallValid, EarlyStopping = new EarlyStoppingOptions { Patience = 2 },
        };
        var model = Fit(options, _small);
        var history = model.Training.History;
        foreach (var e in history) Console.WriteLine(e);
        int best = history.MinBy(e => e.ValidLoss)!.Epoch;
        Assert.IsLessThan(30, history.Count, "stopped early");
        Assert.AreEqual(best + 2, history.Count, "stopped after two epochs without improvement");
        Assert.AreEqual(best, model.Training.BestEpoch);

        // The model's own validation loss is the best epoch's, not the last one's.
        var valid = Dataset.FromDataView(_smallValid);
        using var scorer = ManagedEngine.Instance.Create(model.Network, MlpOptimizer.Sgd(), 1);
        var (loss, _) = new Learner(scorer, ManagedEngine.Instance.Batches(valid)).Evaluate(ManagedEngine.Instance.Batches(valid));
        Assert.AreEqual(history[best - 1].ValidLoss!.Value, loss!.Value, 1e-9);
        Assert.AreNotEqual(history[^1].ValidLoss!.Value, loss.Value, 1e-6);
    }

    [TestMethod]
    public void EarlyStopping_WithoutValidationData_HoldsOutAFractionOfTheTrainingRows()
    {
        var options = new MlpOptions
        {
            HiddenLayers = [16], Epochs = 2, Seed = 1, EarlyStopping = new EarlyStoppingOptions { HoldOutFraction = 0.2 },
        };
        var model = Fit(options, _small);
        Assert.AreEqual(600, model.Training.HeldOutRows);
        Assert.AreEqual(2400, model.Training.TrainingRows);
        Assert.IsTrue(model.Training.History.All(e => e.ValidLoss is not null));
        var none = new MlpOptions { HiddenLayers = [16], Epochs = 2, EarlyStopping = new EarlyStoppingOptions { HoldOutFraction = 0 } };
        var e = Assert.Throws<Exception>(() => Fit(none, _small));
        StringAssert.Contains(e.Message, "validation");
    }

    [TestMethod]
    public void Zip_KeepsTheRecipeAndTheOptimizerState()
    {
        var options = Small(1);
        options.Optimizer = MlpOptimizer.AdamW(weightDecay: 0.03f);
        options.LearningRate = 0.002f;
        options.Schedule = new CosineSchedule(1e-5);
        options.EarlyStopping = new EarlyStoppingOptions { Patience = 4, MinDelta = 0.001 };
        var transformer = FitTransformer(options, _small);
        var model = transformer.Model;
        using var dir = TestData.TempDirectory();
        var loaded = SaveAndLoad(transformer, dir);
        Assert.AreEqual(options.Optimizer, loaded.Training.Optimizer);
        Assert.AreEqual<LearningRateSchedule>(options.Schedule, loaded.Training.Schedule!);
        Assert.AreEqual(options.EarlyStopping, loaded.Training.EarlyStopping);
        Assert.AreEqual(model.OptimizerState!.Steps, loaded.OptimizerState!.Steps);
        Assert.AreEqual(OptimizerKind.AdamW, loaded.OptimizerState.Kind);
        for (int i = 0; i < model.OptimizerState.Moments.Count; i++)
            CollectionAssert.AreEqual(model.OptimizerState.Moments[i], loaded.OptimizerState.Moments[i], $"buffer {i}");
    }

    [TestMethod]
    public void OldFormatZip_StillLoads_Scores_AndContinues()
    {
        // Written by b26c554, the build before format 0x00010002 (train --hidden 8 --epochs 1): no optimizer state, no recipe fields.
        string path = Path.Combine(AppContext.BaseDirectory, "Fixtures", "managed-engine-format-0x00010001.zip");
        var loaded = _ml.Model.Load(path, out _);
        var old = ((IEnumerable<ITransformer>)loaded).OfType<MulticlassPredictionTransformer<MlpModelParameters>>().Single().Model;
        CollectionAssert.AreEqual(new[] { 784, 8, 10 }, old.Network.LayerSizes.ToArray());
        Assert.AreEqual(0x00010001u, old.StoredFormatVersion);
        Assert.IsNull(old.OptimizerState);
        Assert.AreEqual(MlpOptimizer.Sgd(), old.Training.Optimizer, "a zip from before Adam stored SGD's settings alone");
        Assert.AreEqual(1, old.Training.History.Count);
        var metrics = _ml.MulticlassClassification.Evaluate(loaded.Transform(TestData.Splits(_ml).Valid));
        Assert.IsGreaterThan(0.8, metrics.MicroAccuracy);
        var resumed = Fit(new MlpOptions { HiddenLayers = [8], Epochs = 2 }, _small, old);
        Assert.AreEqual(2, resumed.Training.History.Count);
    }

    [TestMethod]
    public void DocumentedRecipe_ReachesTestAccuracy098_WithinTenEpochs()
    {
        var recipe = Recipe.Mnist98;
        Assert.IsLessThanOrEqualTo(10, recipe.Epochs);
        var model = _ml.MulticlassClassification.Trainers.Mlp(new MlpOptions
        {
            HiddenLayers = recipe.HiddenLayers, BatchSize = recipe.BatchSize, Optimizer = recipe.Optimizer, LearningRate = recipe.LearningRate, Schedule = recipe.Schedule,
            Epochs = recipe.Epochs, Seed = recipe.Seed,
        }).Fit(_train);
        var test = _ml.Transforms.ScalePixels().Fit(TestData.Splits(_ml).Test).Transform(TestData.Splits(_ml).Test);
        var metrics = _ml.MulticlassClassification.Evaluate(model.Transform(test));
        Console.WriteLine($"{recipe}: test accuracy {metrics.MicroAccuracy:F4}");
        Assert.IsGreaterThanOrEqualTo(0.980, metrics.MicroAccuracy);
    }
}
