using System.Diagnostics;
using System.Runtime.InteropServices;
using MlNetMnist.DataViews;
using MlNetMnist.Trainers.Nn;
using MlNetMnist.Trainers.Optim;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetMnist.Trainers.Learning;

/// <summary>
/// The lesson's fit(epochs, model, loss_func, opt, train_dl, valid_dl): each epoch trains over the training
/// batches (forward, loss, backward, step, zero_grad), then evaluates under no_grad over the validation
/// batches. Every step runs in a dispose scope, so native memory stays flat across epochs.
/// </summary>
public sealed class Learner(Module model, Func<Tensor, Tensor, Tensor> loss, Sgd optimizer, IBatchSource train, IBatchSource? valid = null)
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
        model.Train();
        double lossSum = 0;
        long rows = 0;
        foreach (var batch in train.Epoch(epoch, cancellationToken))
        {
            cancellationToken.ThrowIfCancellationRequested();
            using (var scope = NewDisposeScope())
            {
                var (x, y) = ToTensors(batch);
                var batchLoss = loss(model.Forward(x), y);
                batchLoss.backward();
                optimizer.Step();
                optimizer.ZeroGrad();
                lossSum += batchLoss.item<float>() * batch.Size;
            }
            rows += batch.Size;
            progress?.Report(new TrainingProgress(epoch + 1, epochs, batch.Index + 1, train.BatchCount, lossSum / rows, null));
        }
        return rows == 0 ? double.NaN : lossSum / rows;
    }

    /// <summary>Mean loss and accuracy over <paramref name="source"/>'s first epoch, weighted by batch size.</summary>
    public (double? Loss, double? Accuracy) Evaluate(IBatchSource source, CancellationToken cancellationToken = default)
    {
        model.Eval();
        using var noGrad = torch.no_grad();
        double lossSum = 0, correct = 0;
        long rows = 0;
        foreach (var batch in source.Epoch(0, cancellationToken))
        {
            using var scope = NewDisposeScope();
            var (x, y) = ToTensors(batch);
            var logits = model.Forward(x);
            lossSum += loss(logits, y).item<float>() * batch.Size;
            correct += Losses.Loss.Accuracy(logits, y).item<float>() * batch.Size;
            rows += batch.Size;
        }
        model.Train();
        return rows == 0 ? (null, null) : (lossSum / rows, correct / rows);
    }

    /// <summary>Features [n, f] as float32 and labels [n] as int64, copied from the batch's pooled buffers.</summary>
    internal static (Tensor Features, Tensor Labels) ToTensors(Batch batch)
    {
        var x = torch.empty([batch.Size, batch.FeatureCount], ScalarType.Float32);
        batch.Features.Span.CopyTo(MemoryMarshal.Cast<byte, float>(x.bytes));
        var y = torch.empty([batch.Size], ScalarType.Int64);
        var labels = MemoryMarshal.Cast<byte, long>(y.bytes);
        var source = batch.Labels.Span;
        for (int i = 0; i < source.Length; i++) labels[i] = source[i];
        return (x, y);
    }
}
