using Microsoft.ML;
using Microsoft.ML.Runtime;
using MlNetMnist.DataViews;
using MlNetMnist.Trainers.Engines;
using MlNetMnist.Trainers.Learning;
using MlNetMnist.Trainers.Learning.Callbacks;
using MlNetMnist.Trainers.Models;

namespace MlNetMnist.Trainers;

/// <summary>
/// What every MLP trainer's Fit does (the task only picks the head): the rows as batches (<see cref="TrainingRows"/>), the chosen engine's MLP
/// (fresh, or continuing a trained model) into a Learner with the schedule, early stopping and the user's callbacks.
/// </summary>
internal static class MlpFit
{
    /// <summary>More classes than this is almost surely an ID column taken for a label (and an output layer of millions of weights).</summary>
    internal const int MaxClasses = 1 << 16;

    /// <summary>
    /// Trains a fresh model for <paramref name="task"/>, or continues <paramref name="start"/>, on <paramref name="trainData"/>
    /// as <paramref name="options"/> say; <paramref name="transformer"/> makes the trainer's transformer of a fit result, for checkpoints.
    /// </summary>
    public static MlpFitResult Run(IHost host, MlpOptions options, MlpTask task, IDataView trainData, IDataView? validData, int seed,
        MlpFitResult? start, Func<MlpFitResult, ITransformer> transformer)
    {
        var train = LoadTraining(host, options, task, trainData, seed);
        var valid = validData is null ? null : TrainingRows.Load(validData, options, batchSize: null, shuffle: false, seed);
        int classCount = train.ClassCount;
        if (valid is not null && valid.IsRegression != train.IsRegression)
            throw host.Except($"Label column '{options.LabelColumnName}' must be Single for regression and a key, integer or Boolean for classification.");
        if (valid is not null && valid.ClassCount > classCount)
            throw host.Except($"Label column '{options.LabelColumnName}' of the validation data has {valid.ClassCount} classes; training has {classCount}.");
        int heldOut = 0;
        if (valid is null && options.EarlyStopping is { HoldOutFraction: > 0 } stopping)
            (train, valid, heldOut) = HoldOut(host, train, options, stopping.HoldOutFraction, seed);

        var head = Head(host, options, task, train, start);
        int[] sizes = [train.FeatureCount, .. options.HiddenLayers, head.OutputCount(classCount)];
        var optimizer = options.Optimizer;
        int firstEpoch = start is null ? 0 : CheckContinuable(host, start, sizes, options.Epochs);
        var engine = options.Engine;
        // The layers continue as trained (a regression's on the standardised target), so a continued fit is exact.
        using var model = start is null
            ? engine.Create(sizes, seed, optimizer, options.EffectiveLearningRate, head)
            : engine.Create(start.Network, optimizer, options.EffectiveLearningRate, start.State?.Kind == optimizer.Kind ? start.State : null, head);
        var early = options.EarlyStopping is null ? null : new EarlyStoppingCallback(model, options.EarlyStopping);
        if (start is { Training.History: [.., var last] })
            early?.Continue(start.Training.History, start.Training.BestEpoch ?? last.Epoch, start.EarlyStoppingBest);

        MlpTrainingInfo Info(IReadOnlyList<EpochMetrics> history, int? best) => new(options.HiddenLayers.ToArray(), options.Epochs,
            options.BatchSize, options.EffectiveLearningRate, seed, options.Shuffle, train.Count, [.. start?.Training.History ?? [], .. history])
        {
            Engine = engine.Name, Optimizer = optimizer, Schedule = options.Schedule, EarlyStopping = options.EarlyStopping,
            BestEpoch = best, HeldOutRows = heldOut, Task = task, Head = head,
        };
        // What the fit returns after this fit's epochs so far: with early stopping, the best epoch's weights when that is not the last.
        MlpFitResult Result(IReadOnlyList<EpochMetrics> history) => early?.Best is { } kept && kept.Epoch != history[^1].Epoch
            ? new(kept.Network, Info(history, kept.Epoch), kept.State)
            : new(model.ToNetwork(), Info(history, null), model.ExportState());
        // What a later fit continues from: the last epoch's weights and state, and the best epoch's when it is another.
        MlpFitResult Resumable(IReadOnlyList<EpochMetrics> history) => new(model.ToNetwork(), Info(history, null), model.ExportState(),
            early?.Best is { } kept && kept.Epoch != history[^1].Epoch ? new MlpBestEpoch(kept.Epoch, kept.Network, kept.State) : null);

        LearnerCallback[] callbacks =
        [
            new HostAliveCallback(host),
            new ScheduleCallback(model, options.Schedule, options.EffectiveLearningRate, optimizer.Momentum),
            .. early is null ? Array.Empty<LearnerCallback>() : [early],
            .. options.Callbacks,
            .. options.Checkpoint is null ? Array.Empty<LearnerCallback>()
                : [new MlpCheckpointCallback(options.Checkpoint, Resumable, Result, early, transformer, trainData.Schema)],
        ];
        return Result(new Learner(model, train.Batches, valid?.Batches, callbacks).Fit(options.Epochs, options.Progress, options.CancellationToken, firstEpoch));
    }

    /// <summary>The training rows as batches (<see cref="TrainingRows"/>); throws unless there are some and their label suits <paramref name="task"/>.</summary>
    internal static TrainingRows LoadTraining(IHost host, MlpOptions options, MlpTask task, IDataView trainData, int seed)
    {
        var train = TrainingRows.Load(trainData, options, options.BatchSize, options.Shuffle, seed);
        if (train.Count == 0)
            throw host.Except($"No training rows: the data view has no rows for columns '{options.FeatureColumnName}' and '{options.LabelColumnName}'.");
        int classCount = train.ClassCount;
        if ((task == MlpTask.Regression) != train.IsRegression)
            throw host.Except($"Label column '{options.LabelColumnName}' must be Single for regression and a key, integer or Boolean for classification.");
        if (classCount > MaxClasses)
            throw host.Except($"Label column '{options.LabelColumnName}' makes {classCount} classes (its key count, or the largest integer label + 1); the MLP takes at most {MaxClasses}.");
        if (classCount < 2 && task != MlpTask.Regression)
            throw host.Except($"Label column '{options.LabelColumnName}' holds a single class; a classifier needs at least two.");
        if (options.ClassWeights is { } given && task != MlpTask.Regression && given.Length != classCount)
            throw host.Except($"ClassWeights holds {given.Length} weights; label column '{options.LabelColumnName}' makes {classCount} classes.");
        return train;
    }

    /// <summary>
    /// The task's head: its class weights (given, or balanced from the training rows), or for regression the loss and
    /// the label's standardisation (the training rows' weighted mean and deviation; a continued model keeps its own).
    /// </summary>
    internal static MlpHead Head(IHost host, MlpOptions options, MlpTask task, TrainingRows train, MlpFitResult? start)
    {
        bool needsStatistics = task == MlpTask.Regression ? start?.Training.Head is null : options.BalanceClasses;
        var statistics = needsStatistics ? RowStatistics.Of(train.Batches, train.ClassCount, options.CancellationToken) : null;
        float[]? classWeights = options.BalanceClasses ? statistics!.BalancedClassWeights() : options.ClassWeights?.ToArray();
        switch (task)
        {
            case MlpTask.MulticlassClassification: return MlpHead.Softmax(classWeights);
            case MlpTask.BinaryClassification: return MlpHead.Logistic(classWeights);
        }
        if (start?.Training.Head is { } kept) return kept;
        if (!(statistics!.TargetDeviation > 0))
            throw host.Except($"Label column '{options.LabelColumnName}' holds one value ({statistics.TargetMean}) in every weighted row: nothing to regress.");
        var loss = options.RegressionLoss == RegressionLoss.Huber ? MlpHead.Huber(options.HuberDelta) : MlpHead.Squared();
        return loss with { TargetMean = (float)statistics.TargetMean, TargetScale = (float)statistics.TargetDeviation };
    }

    /// <summary>The epoch to continue from; throws unless the model has the layer sizes these options and data make and epochs are left.</summary>
    static int CheckContinuable(IHost host, MlpFitResult start, int[] sizes, int epochs)
    {
        if (!start.Network.LayerSizes.SequenceEqual(sizes))
            throw host.Except($"Cannot continue training: the model's layers are {string.Join("-", start.Network.LayerSizes)}, " +
                              $"these options and data make {string.Join("-", sizes)}.");
        int done = start.Training.History.Count;
        if (epochs <= done)
            throw host.Except($"Cannot continue training: the model has trained {done} epochs and Epochs ({epochs}) counts all of them; ask for more than {done}.");
        return done;
    }

    /// <summary>Splits off <paramref name="fraction"/> of the in-memory training rows, drawn with <paramref name="seed"/>, to validate on.</summary>
    static (TrainingRows Train, TrainingRows Valid, int HeldOut) HoldOut(IHost host, TrainingRows rows, MlpOptions options, double fraction, int seed)
    {
        if (rows.InMemory is not { } data)
            throw host.Except("Early stopping holds out training rows only when they fit in memory (MemoryBudgetBytes); give ValidationData for streamed training data.");
        int held = (int)Math.Round(data.Count * fraction);
        if (held < 1 || held >= data.Count)
            throw host.Except($"A hold-out fraction of {fraction} leaves {held} of {data.Count} rows to validate on; give validation data or a larger fraction.");
        var order = Enumerable.Range(0, data.Count).ToArray();
        new Random(seed).Shuffle(order);
        TrainingRows Take(int[] picked, int? batchSize, bool shuffle)
        {
            Array.Sort(picked);
            return TrainingRows.InMemoryRows(new Subset(data, picked), rows.ClassCount, options, batchSize, shuffle, seed);
        }
        return (Take(order[held..], options.BatchSize, options.Shuffle), Take(order[..held], null, false), held);
    }
}

/// <summary>
/// What a fit made, or what one continues from: the layers as trained (a regression's on the standardised target; the
/// model parameters fold the standardisation in), how they were trained, the optimizer's state, and a checkpoint's
/// early-stopping best epoch when it is not the last.
/// </summary>
internal sealed record MlpFitResult(MlpNetwork Network, MlpTrainingInfo Training, MlpOptimizerState? State, MlpBestEpoch? EarlyStoppingBest = null);
