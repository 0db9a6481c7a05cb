using System.Diagnostics;
using MlNetMnist.DataViews;

namespace MlNetMnist.Trainers.Learning;

/// <summary>
/// The lesson's fit(epochs, model, loss_func, opt, train_dl, valid_dl): each epoch trains over the training
/// batches, then evaluates over the validation batches; reports per batch and per epoch; stops between
/// batches when cancelled. What a step does is the <see cref="ITrainable"/>'s business: an engine's MLP,
/// or the lesson's modules with autograd (the TorchSharp add-on's ModuleTrainable).
/// </summary>
public sealed class Learner(ITrainable model, IBatchSource train, IBatchSource? valid = null)
{
    public IReadOnlyList<EpochMetrics> Fit(int epochs, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var history = new List<EpochMetrics>();
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            double trainLoss = TrainEpoch(epoch, epochs, progress, cancellationToken);
            var (validLoss, validAccuracy) = valid is null ? (null, null) : Evaluate(valid, cancellationToken);
            var metrics = new EpochMetrics(epoch + 1, trainLoss, validLoss, validAccuracy, clock.Elapsed);
            history.Add(metrics);
            progress?.Report(new TrainingProgress(epoch + 1, epochs, train.BatchCount, train.BatchCount, trainLoss, metrics));
        }
        return history;
    }

    double TrainEpoch(int epoch, int epochs, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        double lossSum = 0;
        long rows = 0;
        foreach (var batch in train.Epoch(epoch, cancellationToken))
        {
            cancellationToken.ThrowIfCancellationRequested();
            lossSum += model.TrainBatch(batch) * batch.Size;
            rows += batch.Size;
            progress?.Report(new TrainingProgress(epoch + 1, epochs, batch.Index + 1, train.BatchCount, lossSum / rows, null));
        }
        return rows == 0 ? double.NaN : lossSum / rows;
    }

    /// <summary>Mean loss and accuracy over <paramref name="source"/>'s first epoch, weighted by batch size.</summary>
    public (double? Loss, double? Accuracy) Evaluate(IBatchSource source, CancellationToken cancellationToken = default)
    {
        double lossSum = 0;
        long correct = 0, rows = 0;
        foreach (var batch in source.Epoch(0, cancellationToken))
        {
            var (batchLoss, batchCorrect) = model.EvaluateBatch(batch);
            lossSum += batchLoss;
            correct += batchCorrect;
            rows += batch.Size;
        }
        return rows == 0 ? (null, null) : (lossSum / rows, (double)correct / rows);
    }
}
