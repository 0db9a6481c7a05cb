using System.Diagnostics;

namespace MlNetMnist.Trainers.Learning;

/// <summary>
/// fastai's Recorder: the mean training loss of each epoch and the validation loss and the model's metric (rows
/// weighted), and the epoch's time, recorded into <see cref="Learner.History"/> after each epoch.
/// </summary>
public sealed class MetricsCallback : LearnerCallback
{
    double _trainLoss;
    long _trainRows;
    EvaluationSums _valid;
    readonly Stopwatch _clock = new();

    public override int Order => 0;

    public override void BeforeEpoch(Learner learner)
    {
        (_trainLoss, _trainRows, _valid) = (0, 0, default);
        _clock.Restart();
    }

    public override void AfterBatch(Learner learner)
    {
        int rows = learner.Batch!.Size;
        if (learner.Training)
        {
            _trainLoss += learner.Loss * rows;
            _trainRows += rows;
        }
        else
            _valid += learner.Evaluation;
    }

    public override void AfterEpoch(Learner learner)
    {
        bool validated = _valid.Weight > 0;
        learner.Record(new EpochMetrics(learner.Epoch + 1, _trainRows == 0 ? double.NaN : _trainLoss / _trainRows,
            validated ? _valid.MeanLoss : null, validated ? learner.Model.Metric(_valid) : null, _clock.Elapsed) { Metric = learner.Model.MetricName });
    }
}
