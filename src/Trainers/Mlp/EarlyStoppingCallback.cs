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
    IReadOnlyList<EpochMetrics> _earlier = [];
    int _heldEpoch;
    MlpBestEpoch? _kept;

    /// <summary>After the metrics (0) and the progress report (10), so that the stopping epoch is recorded and shown.</summary>
    public override int Order => 20;

    /// <summary>The best epoch (from 1), its weights and optimizer state; null before an epoch has validated.</summary>
    public (int Epoch, MlpNetwork Network, MlpOptimizerState State)? Best { get; private set; }

    /// <summary>Whether the last fit stopped early.</summary>
    public bool Stopped { get; private set; }

    /// <summary>
    /// Makes the next fit continue an earlier one: the best value and the epochs waited are replayed from
    /// <paramref name="earlier"/>'s metrics, and the best epoch's weights are the model's own when it holds that epoch
    /// (<paramref name="heldEpoch"/>), else <paramref name="kept"/>'s when it is that epoch. When neither is, or an
    /// earlier epoch did not validate, the fit starts afresh as a new one would.
    /// </summary>
    public void Continue(IReadOnlyList<EpochMetrics> earlier, int heldEpoch, MlpBestEpoch? kept) =>
        (_earlier, _heldEpoch, _kept) = (earlier, heldEpoch, kept);

    public override void BeforeFit(Learner learner)
    {
        (Best, Stopped, _waited) = (null, false, 0);
        _best = options.Metric == EarlyStoppingMetric.ValidLoss ? double.PositiveInfinity : double.NegativeInfinity;
        if (_earlier.Count == 0 || _earlier.Any(e => Metric(e) is null)) return;
        double best = _best;
        int waited = 0, bestEpoch = 0;
        foreach (var metrics in _earlier)
        {
            if (Improves(Metric(metrics)!.Value, best)) (best, waited, bestEpoch) = (Metric(metrics)!.Value, 0, metrics.Epoch);
            else waited++;
        }
        (int, MlpNetwork, MlpOptimizerState)? weights = bestEpoch == _heldEpoch ? (bestEpoch, model.ToNetwork(), model.ExportState())
            : _kept?.Epoch == bestEpoch ? (bestEpoch, _kept.Network, _kept.State)
            : null;
        if (weights is not null) (_best, _waited, Best) = (best, waited, weights);
    }

    public override void AfterEpoch(Learner learner)
    {
        var metrics = learner.History[^1];
        double value = Metric(metrics)
            ?? throw new InvalidOperationException("Early stopping watches a validation metric: give validation data or a hold-out fraction.");
        if (Improves(value, _best))
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

    double? Metric(EpochMetrics metrics) => options.Metric == EarlyStoppingMetric.ValidLoss ? metrics.ValidLoss : metrics.ValidMetric;

    bool Improves(double value, double best) =>
        options.Metric == EarlyStoppingMetric.ValidLoss ? value < best - options.MinDelta : value > best + options.MinDelta;
}
