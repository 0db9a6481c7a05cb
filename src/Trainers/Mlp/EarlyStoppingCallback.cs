using MlNetMnist.Trainers.Engines;
using MlNetMnist.Trainers.Learning;
using MlNetMnist.Trainers.Models;

namespace MlNetMnist.Trainers;

/// <summary>
/// After each epoch, compares the validation metric with the best so far: an improvement by more than the minimum
/// delta keeps a copy of the weights and optimizer state; <c>Patience</c> epochs without one stop the fit
/// (<see cref="CancelFitException"/>). <see cref="Best"/> then holds the epoch to keep.
/// </summary>
public sealed class EarlyStoppingCallback(ITrainableMlp model, EarlyStoppingOptions options) : LearnerCallback
{
    double _best;
    int _waited;

    /// <summary>After the metrics (0) and the progress report (10), so that the stopping epoch is recorded and shown.</summary>
    public override int Order => 20;

    /// <summary>The best epoch (from 1), its weights and optimizer state; null before an epoch has validated.</summary>
    public (int Epoch, MlpNetwork Network, MlpOptimizerState State)? Best { get; private set; }

    /// <summary>Whether the last fit stopped early.</summary>
    public bool Stopped { get; private set; }

    public override void BeforeFit(Learner learner)
    {
        (Best, Stopped, _waited) = (null, false, 0);
        _best = options.Metric == EarlyStoppingMetric.ValidLoss ? double.PositiveInfinity : double.NegativeInfinity;
    }

    public override void AfterEpoch(Learner learner)
    {
        var metrics = learner.History[^1];
        double value = (options.Metric == EarlyStoppingMetric.ValidLoss ? metrics.ValidLoss : metrics.ValidMetric)
            ?? throw new InvalidOperationException("Early stopping watches a validation metric: give validation data or a hold-out fraction.");
        bool improved = options.Metric == EarlyStoppingMetric.ValidLoss ? value < _best - options.MinDelta : value > _best + options.MinDelta;
        if (improved)
        {
            (_best, _waited) = (value, 0);
            Best = (metrics.Epoch, model.ToNetwork(), model.ExportState());
        }
        else if (++_waited >= options.Patience)
        {
            Stopped = true;
            throw new CancelFitException();
        }
    }
}
