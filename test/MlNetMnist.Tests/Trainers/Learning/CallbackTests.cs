using MlNetMnist.DataViews;
using MlNetMnist.Trainers.Learning;
using MlNetMnist.Trainers.Learning.Callbacks;
using MlNetMnist.Trainers.Learning.Schedules;

namespace MlNetMnist.Tests.Trainers.Learning;

/// <summary>The Learner's callbacks: hooks in order, the three cancel exceptions, the schedule's step count.</summary>
[TestClass]
public sealed class CallbackTests
{
    /// <summary>Counts steps; loss 1 per batch, every row right; its rate and momentum are whatever a schedule sets.</summary>
    sealed class Fake : ITrainable, ISchedulable
    {
        public List<(float Rate, float Momentum)> Steps { get; } = [];

        public float LearningRate { get; set; }

        public float Momentum { get; set; }

        public double TrainBatch(Batch batch)
        {
            Steps.Add((LearningRate, Momentum));
            return 1;
        }

        public EvaluationSums EvaluateBatch(Batch batch) => new(batch.Size, batch.Size, batch.Size);
    }

    /// <summary>10 rows of 2 features, batches of 4: 3 batches an epoch.</summary>
    static DataLoader Rows() => new(new Dataset(new float[20], Enumerable.Range(0, 10).Select(i => i % 2).ToArray(), 2, 2), new DataLoaderOptions { BatchSize = 4 });

    sealed class Log(List<string> log, Action<Learner, string>? act = null, int order = 0) : LearnerCallback
    {
        public override int Order => order;
        void Note(Learner l, string hook) { log.Add(hook); act?.Invoke(l, hook); }
        public override void BeforeFit(Learner l) => Note(l, "BeforeFit");
        public override void AfterFit(Learner l) => Note(l, "AfterFit");
        public override void BeforeEpoch(Learner l) => Note(l, $"BeforeEpoch {l.Epoch}");
        public override void AfterEpoch(Learner l) => Note(l, $"AfterEpoch {l.Epoch}");
        public override void BeforeBatch(Learner l) => Note(l, $"{(l.Training ? "train" : "valid")} {l.Batch!.Index}");
        public override void AfterBatch(Learner l) => Note(l, $"after {(l.Training ? "train" : "valid")} {l.Batch!.Index}");
    }

    [TestMethod]
    public void Hooks_RunInFastaisOrder_TrainingThenValidationBatchesPerEpoch()
    {
        var log = new List<string>();
        var history = new Learner(new Fake(), Rows(), new DataLoader(new Dataset(new float[4], [0, 1], 2, 2), new DataLoaderOptions { BatchSize = 2 }), [new Log(log)]).Fit(1);
        CollectionAssert.AreEqual(new[]
        {
            "BeforeFit", "BeforeEpoch 0", "train 0", "after train 0", "train 1", "after train 1", "train 2", "after train 2",
            "valid 0", "after valid 0", "AfterEpoch 0", "AfterFit",
        }, log);
        Assert.AreEqual(1.0, history[0].ValidMetric);
        Assert.AreEqual(1.0, history[0].TrainLoss);
    }

    [TestMethod]
    public void CancelBatch_SkipsThatBatchsLaterHooks_CancelEpoch_EndsTheEpochsTraining_CancelFit_EndsTheFit()
    {
        var log = new List<string>();
        var fake = new Fake();
        var stopper = new Log([], (l, hook) =>
        {
            if (hook == "train 0") throw new CancelBatchException();      // before the step: batch 0 is not trained
            if (hook == "after train 1" && l.Epoch == 0) throw new CancelEpochException();
            if (hook == "AfterEpoch 1") throw new CancelFitException();
        }, order: 5); // after the metrics (0), so that the epoch it ends is recorded
        var history = new Learner(fake, Rows(), callbacks: [stopper, new Log(log, order: 6)]).Fit(5);
        Assert.AreEqual(2, history.Count, "two epochs recorded, then the fit ended");
        Assert.AreEqual(1 + 2, fake.Steps.Count, "epoch 0 trained batch 1 only; epoch 1 batches 1 and 2");
        Assert.IsFalse(log.Contains("after train 0"));
        Assert.IsFalse(log.Contains("train 2") && log.IndexOf("train 2") < log.IndexOf("AfterEpoch 0"), "epoch 0's batch 2 skipped");
        Assert.AreEqual("AfterFit", log[^1]);
        Assert.IsFalse(log.Contains("AfterEpoch 1"), "the later callback's AfterEpoch is skipped once CancelFit is thrown");
    }

    [TestMethod]
    public void Cancellation_ThrowsBeforeTheNextBatch()
    {
        using var cancel = new CancellationTokenSource();
        var fake = new Fake();
        var learner = new Learner(fake, Rows(), callbacks: [new Log([], (_, hook) => { if (hook == "after train 1") cancel.Cancel(); })]);
        Assert.ThrowsExactly<OperationCanceledException>(() => learner.Fit(3, cancellationToken: cancel.Token));
        Assert.AreEqual(2, fake.Steps.Count);
    }

    [TestMethod]
    public void Schedule_SetsEachStepsRate_CountingFromEpochZero_WhenAFitStartsLater()
    {
        var schedule = new OneCycleSchedule();
        var whole = new Fake();
        new Learner(whole, Rows(), callbacks: [new ScheduleCallback(whole, schedule, 0.1, 0.9)]).Fit(4);
        var later = new Fake();
        new Learner(later, Rows(), callbacks: [new ScheduleCallback(later, schedule, 0.1, 0.9)]).Fit(4, firstEpoch: 2);
        Assert.AreEqual(12, whole.Steps.Count);
        for (int step = 0; step < 12; step++)
        {
            var (lr, momentum) = schedule.At(step, 12, 0.1, 0.9);
            Assert.AreEqual((float)lr, whole.Steps[step].Rate, $"step {step}");
            Assert.AreEqual((float)momentum, whole.Steps[step].Momentum, $"step {step}");
        }
        CollectionAssert.AreEqual(whole.Steps[6..], later.Steps, "epochs 2 and 3 as in the whole run");
    }

    [TestMethod]
    public void LrFinder_GrowsTheRateGeometrically_AndStopsWhenTheLossDiverges()
    {
        var fake = new Fake();
        int step = 0;
        var finder = new LrFinderCallback(fake, 1e-5, 1, steps: 60);
        // A loss that falls, then explodes past rate 1e-2.
        var learner = new Learner(new Diverging(fake, () => step++), Rows(), callbacks: [finder]);
        learner.Fit(100);
        var result = finder.Result;
        for (int i = 1; i < result.LearningRates.Count; i++)
            Assert.AreEqual(Math.Pow(1e5, 1.0 / 59), result.LearningRates[i] / result.LearningRates[i - 1], 1e-9);
        Assert.IsLessThan(60, result.LearningRates.Count, "stopped before the last rate");
        Assert.IsGreaterThan(1e-2, result.LearningRates[^1]);
        Assert.IsTrue(result.Minimum is >= 1e-2 and < 2e-2, $"the smoothed minimum trails the true one (1e-2) by a few steps: {result.Minimum}");
        Assert.AreEqual(result.Minimum / 10, result.Suggested, 1e-15);
    }

    /// <summary>Loss log10(rate)² shape: 1 at 1e-5 falling to 0.1 at 1e-2, then growing fast.</summary>
    sealed class Diverging(Fake fake, Func<int> count) : ITrainable, ISchedulable
    {
        public float LearningRate { get => fake.LearningRate; set => fake.LearningRate = value; }
        public float Momentum { get => fake.Momentum; set => fake.Momentum = value; }
        public double TrainBatch(Batch batch)
        {
            count();
            double x = Math.Log10(LearningRate);
            return x <= -2 ? 0.1 + 0.3 * (-2 - x) : 0.1 * Math.Pow(100, x + 2);
        }
        public EvaluationSums EvaluateBatch(Batch batch) => new(0, batch.Size, 0);
    }
}
