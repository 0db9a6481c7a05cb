using Microsoft.ML;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using MlNetMnist.DataViews;
using MlNetMnist.Host.Bench;
using MlNetMnist.Trainers;
using MlNetMnist.Trainers.Engines;
using MlNetMnist.Trainers.Learning;
using MlNetMnist.Trainers.Learning.Schedules;

namespace MlNetMnist.Tests.Trainers.Mlp;

/// <summary>MlpOptions.Checkpoint in the library: what a checkpoint holds, and that a fit continued from one ends where an uninterrupted fit does.</summary>
[TestClass]
public sealed class CheckpointTests
{
    static MLContext _ml = null!;
    static IDataView _small = null!, _smallValid = null!;

    [ClassInitialize]
    public static void Load(TestContext _)
    {
        _ml = new MLContext(seed: 1);
        var splits = TestData.Splits(_ml);
        var scale = _ml.Transforms.ScalePixels().Fit(splits.Train);
        _small = _ml.Data.Cache(_ml.Data.TakeRows(scale.Transform(splits.Train), 3000));
        _smallValid = _ml.Data.Cache(_ml.Data.TakeRows(scale.Transform(splits.Valid), 2000));
    }

    /// <summary>Ends the fit when epoch <paramref name="epochs"/> + 1 begins, as a process killed during that epoch would.</summary>
    sealed class StopAfter(int epochs) : LearnerCallback
    {
        public override void BeforeEpoch(Learner learner)
        {
            if (learner.Epoch == epochs) throw new CancelFitException();
        }
    }

    static MlpOptions Adam(int epochs, string? checkpoint = null, int every = 1) => new()
    {
        HiddenLayers = [32], Epochs = epochs, BatchSize = 64, Seed = 7, Optimizer = MlpOptimizer.Adam(0.01f), Schedule = new OneCycleSchedule(),
        ValidationData = _smallValid, Checkpoint = checkpoint is null ? null : new MlpCheckpointOptions { Path = checkpoint, EveryEpochs = every },
    };

    // A wide net at a high rate on 3,000 rows overfits within a few epochs, so early stopping keeps an earlier epoch than the last.
    static MlpOptions Overfitting(string? checkpoint = null) => new()
    {
        HiddenLayers = [128], Epochs = 30, BatchSize = 32, Seed = 3, Optimizer = MlpOptimizer.Adam(0.003f), ValidationData = _smallValid,
        EarlyStopping = new EarlyStoppingOptions { Patience = 3 }, Checkpoint = checkpoint is null ? null : new MlpCheckpointOptions { Path = checkpoint },
    };

    static MlpModelParameters Fit(MlpOptions options, MlpModelParameters? start = null)
    {
        var trainer = _ml.MulticlassClassification.Trainers.Mlp(options);
        return (start is null ? trainer.Fit(_small) : trainer.Fit(_small, start)).Model;
    }

    static MlpModelParameters LoadMlp(string zip)
    {
        var model = _ml.Model.Load(zip, out _);
        return (model as IEnumerable<ITransformer> ?? [model]).OfType<MulticlassPredictionTransformer<MlpModelParameters>>().Single().Model;
    }

    [TestMethod]
    public void FitContinuedFromACheckpoint_EndsWithTheUninterruptedWeights_BitForBit()
    {
        using var dir = TestData.TempDirectory();
        string checkpoint = dir.File("checkpoint.zip");
        var straight = Fit(Adam(4));
        var interrupted = Adam(4, checkpoint);
        interrupted.Callbacks.Add(new StopAfter(2));
        Fit(interrupted);

        var saved = LoadMlp(checkpoint);
        Assert.AreEqual(2, saved.Training.History.Count);
        Assert.AreEqual(OptimizerKind.Adam, saved.OptimizerState!.Kind);
        var resumed = Fit(Adam(4, checkpoint), saved);
        Assert.AreEqual(straight.Network.WeightsSha256(), resumed.Network.WeightsSha256());
        Assert.AreEqual(resumed.Network.WeightsSha256(), LoadMlp(checkpoint).Network.WeightsSha256(), "the resumed fit checkpointed its last epoch");
        Assert.AreEqual(4, LoadMlp(checkpoint).Training.History.Count);
        Assert.IsEmpty(Directory.GetFiles(dir.Path, "*.tmp"));
    }

    /// <summary>The tabular tasks' short recipe: 4 epochs of Adam under one-cycle, checkpointing to <paramref name="checkpoint"/> when given.</summary>
    static MlpOptions Tabular(string? checkpoint) => new()
    {
        HiddenLayers = [32], Epochs = 4, BatchSize = 32, Seed = 5, Optimizer = MlpOptimizer.Adam(0.01f), Schedule = new OneCycleSchedule(),
        Checkpoint = checkpoint is null ? null : new MlpCheckpointOptions { Path = checkpoint },
    };

    static IDataView Normalised(IDataView rows) => _ml.Transforms.NormalizeMeanVariance("Features").Fit(rows).Transform(rows);

    /// <summary>
    /// A regression trains on the standardised target and scores raw ones: its checkpoint keeps the layers as trained, so
    /// the resumed fit starts from exactly them (folding the standardisation in and out again would round).
    /// </summary>
    [TestMethod]
    public void RegressionContinuedFromACheckpoint_EndsWithTheUninterruptedWeights_BitForBit()
    {
        using var dir = TestData.TempDirectory();
        string checkpoint = dir.File("regression.zip");
        var data = Normalised(SklearnData.Diabetes(_ml));
        var straight = _ml.Regression.Trainers.Mlp(Tabular(null)).Fit(data).Model;
        var interrupted = Tabular(checkpoint);
        interrupted.Callbacks.Add(new StopAfter(2));
        _ml.Regression.Trainers.Mlp(interrupted).Fit(data);

        var saved = ((RegressionPredictionTransformer<MlpScoreModelParameters>)_ml.Model.Load(checkpoint, out _)).Model;
        Assert.AreEqual(2, saved.Training.History.Count);
        Assert.AreEqual(MlpTask.Regression, saved.Training.Task);
        var resumed = _ml.Regression.Trainers.Mlp(Tabular(null)).Fit(data, saved).Model;
        Assert.AreEqual(straight.Network.WeightsSha256(), resumed.Network.WeightsSha256());
        CollectionAssert.AreEqual(straight.Training.History.Select(e => e.TrainLoss).ToArray(), resumed.Training.History.Select(e => e.TrainLoss).ToArray());
    }

    /// <summary>A binary classifier's checkpoint is ML.NET's calibrated binary model; the resumed fit ends where the uninterrupted one does.</summary>
    [TestMethod]
    public void BinaryContinuedFromACheckpoint_EndsWithTheUninterruptedWeights_BitForBit()
    {
        using var dir = TestData.TempDirectory();
        string checkpoint = dir.File("binary.zip");
        var data = Normalised(SklearnData.BreastCancer(_ml));
        var straight = _ml.BinaryClassification.Trainers.Mlp(Tabular(null)).Fit(data).Model;
        var interrupted = Tabular(checkpoint);
        interrupted.Callbacks.Add(new StopAfter(2));
        _ml.BinaryClassification.Trainers.Mlp(interrupted).Fit(data);

        var saved = ((BinaryPredictionTransformer<CalibratedModelParametersBase<MlpScoreModelParameters, PlattCalibrator>>)_ml.Model.Load(checkpoint, out _)).Model;
        Assert.AreEqual(2, saved.SubModel.Training.History.Count);
        Assert.AreEqual(MlpTask.BinaryClassification, saved.SubModel.Training.Task);
        Assert.AreEqual(OptimizerKind.Adam, saved.SubModel.OptimizerState!.Kind);
        var resumed = _ml.BinaryClassification.Trainers.Mlp(Tabular(null)).Fit(data, saved).Model.SubModel;
        Assert.AreEqual(straight.SubModel.Network.WeightsSha256(), resumed.Network.WeightsSha256());
        CollectionAssert.AreEqual(straight.SubModel.Training.History.Select(e => e.TrainLoss).ToArray(), resumed.Training.History.Select(e => e.TrainLoss).ToArray());
    }

    [TestMethod]
    public void EveryEpochs_ChecksEpochNumbers_CountedAcrossResumes()
    {
        using var dir = TestData.TempDirectory();
        string checkpoint = dir.File("every3.zip");
        var options = Adam(5, checkpoint, every: 3);
        options.Callbacks.Add(new StopAfter(2));
        Fit(options);
        Assert.IsFalse(File.Exists(checkpoint), "epochs 1 and 2 are not multiples of 3");
        Fit(Adam(5, checkpoint, every: 3));
        Assert.AreEqual(3, LoadMlp(checkpoint).Training.History.Count, "epoch 3, not 5");
    }

    [TestMethod]
    public void WithEarlyStopping_TheCheckpointCarriesTheBestEpoch_AndTheResumedFitKeepsIt()
    {
        var straight = Fit(Overfitting());
        int best = straight.Training.BestEpoch ?? throw new AssertFailedException("the overfitting fit kept its last epoch");
        Assert.IsGreaterThan(best + 1, straight.Training.History.Count);

        // Killed after the epoch past the best: the checkpoint holds that epoch's weights to continue from, and the best's.
        using var dir = TestData.TempDirectory();
        string checkpoint = dir.File("early.zip");
        var interrupted = Overfitting(checkpoint);
        interrupted.Callbacks.Add(new StopAfter(best + 1));
        Fit(interrupted);
        var saved = LoadMlp(checkpoint);
        Assert.AreEqual(best + 1, saved.Training.History.Count);
        Assert.IsNull(saved.Training.BestEpoch, "a checkpoint holds the last epoch's weights");
        Assert.AreEqual(best, saved.EarlyStoppingBest?.Epoch);
        var bestFile = LoadMlp(dir.File("early.best.zip"));
        Assert.AreEqual(straight.Network.WeightsSha256(), bestFile.Network.WeightsSha256(), "the best file holds the best epoch");

        var resumed = Fit(Overfitting(checkpoint), saved);
        Assert.AreEqual(straight.Network.WeightsSha256(), resumed.Network.WeightsSha256());
        Assert.AreEqual(best, resumed.Training.BestEpoch);
        CollectionAssert.AreEqual(straight.Training.History.Select(e => e.ValidLoss).ToArray(), resumed.Training.History.Select(e => e.ValidLoss).ToArray());
    }

    [TestMethod]
    public void Pipeline_MakesTheCheckpointTheWholePipeline()
    {
        using var dir = TestData.TempDirectory();
        var splits = TestData.Splits(_ml);
        var scale = _ml.Transforms.ScalePixels("Features", "Pixels").Fit(splits.Train);
        var options = Adam(1, dir.File("pipeline.zip"));
        options.ValidationData = null;
        options.Checkpoint!.Pipeline = mlp => new TransformerChain<ITransformer>(new ITransformer[] { scale, mlp });
        options.Checkpoint.InputSchema = splits.Train.Schema;
        var model = _ml.MulticlassClassification.Trainers.Mlp(options).Fit(_ml.Data.TakeRows(scale.Transform(splits.Train), 3000));

        var loaded = _ml.Model.Load(dir.File("pipeline.zip"), out var schema);
        Assert.IsNotNull(schema.GetColumnOrNull("Pixels"), "the pipeline reads raw pixels");
        var engine = _ml.Model.CreatePredictionEngine<Digit, Scored>(loaded);
        var digit = _ml.Data.CreateEnumerable<Digit>(splits.Test, reuseRowObject: false).First();
        var direct = _ml.Model.CreatePredictionEngine<Digit, Scored>(new TransformerChain<ITransformer>(new ITransformer[] { scale, model }));
        CollectionAssert.AreEqual(direct.Predict(digit).Score, engine.Predict(digit).Score);
    }

    sealed class Scored
    {
        public float[] Score { get; set; } = [];
    }

    [TestMethod]
    public void BadCheckpointOptions_FailWhenFitStarts_NamingThem()
    {
        var folder = Assert.Throws<ArgumentException>(() => Fit(Adam(1, "/no/such/folder/checkpoint.zip")));
        StringAssert.Contains(folder.Message, "/no/such/folder");
        var every = Assert.Throws<ArgumentOutOfRangeException>(() => Fit(Adam(1, Path.GetTempFileName(), every: 0)));
        StringAssert.Contains(every.Message, "EveryEpochs must be at least 1, got 0");
    }
}
