namespace MlNetMnist.Trainers.Learning;

/// <summary>Reports a <see cref="TrainingProgress"/> after every training batch (running mean loss) and after every epoch (its metrics).</summary>
public sealed class ProgressCallback(IProgress<TrainingProgress> progress) : LearnerCallback
{
    double _lossSum;
    long _rows;

    /// <summary>After the metrics (0), so that an epoch's report carries them.</summary>
    public override int Order => 10;

    public override void BeforeEpoch(Learner learner) => (_lossSum, _rows) = (0, 0);

    public override void AfterBatch(Learner learner)
    {
        if (!learner.Training) return;
        var batch = learner.Batch!;
        _lossSum += learner.Loss * batch.Size;
        _rows += batch.Size;
        progress.Report(new TrainingProgress(learner.Epoch + 1, learner.Epochs, batch.Index + 1, learner.Train.BatchCount, _lossSum / _rows, null));
    }

    public override void AfterEpoch(Learner learner)
    {
        var metrics = learner.History[^1];
        progress.Report(new TrainingProgress(learner.Epoch + 1, learner.Epochs, learner.Train.BatchCount, learner.Train.BatchCount, metrics.TrainLoss, metrics));
    }
}
