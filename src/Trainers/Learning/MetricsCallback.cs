using System.Diagnostics;

namespace MlNetMnist.Trainers.Learning;

/// <summary>
/// fastai's Recorder: the mean training loss of each epoch and the validation loss and accuracy, weighted by batch
/// size, and the epoch's time, recorded into <see cref="Learner.History"/> after each epoch.
/// </summary>
public sealed class MetricsCallback : LearnerCallback
{
    double _trainLoss, _validLoss;
    long _trainRows, _validRows, _correct;
    readonly Stopwatch _clock = new();

    public override int Order => 0;

    public override void BeforeEpoch(Learner learner)
    {
        (_trainLoss, _validLoss, _trainRows, _validRows, _correct) = (0, 0, 0, 0, 0);
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
        {
            _validLoss += learner.LossSum;
            _correct += learner.Correct;
            _validRows += rows;
        }
    }

    public override void AfterEpoch(Learner learner)
    {
        bool validated = _validRows > 0;
        learner.Record(new EpochMetrics(learner.Epoch + 1, _trainRows == 0 ? double.NaN : _trainLoss / _trainRows,
            validated ? _validLoss / _validRows : null, validated ? (double)_correct / _validRows : null, _clock.Elapsed));
    }
}
