using Microsoft.ML;
using Microsoft.ML.Runtime;
using MlNetMnist.DataViews;
using MlNetMnist.Trainers.Engines;
using MlNetMnist.Trainers.Learning;
using MlNetMnist.Trainers.Learning.Callbacks;

namespace MlNetMnist.Trainers;

/// <summary>
/// What <see cref="MlpTrainer"/>'s Fit does: the rows as batches (<see cref="TrainingRows"/>), the chosen engine's MLP
/// (fresh, or continuing a trained model) into a Learner with the schedule, early stopping and the user's callbacks.
/// </summary>
internal static class MlpFit
{
    /// <summary>More classes than this is almost surely an ID column taken for a label (and an output layer of millions of weights).</summary>
    internal const int MaxClasses = 1 << 16;

    public static MlpModelParameters Run(IHost host, MlpOptions options, IDataView trainData, IDataView? validData, int seed,
        MlpModelParameters? start = null)
    {
        var train = TrainingRows.Load(trainData, options, options.BatchSize, options.Shuffle, seed);
        if (train.Count == 0)
            throw host.Except($"No training rows: the data view has no rows for columns '{options.FeatureColumnName}' and '{options.LabelColumnName}'.");
        var valid = validData is null ? null : TrainingRows.Load(validData, options, batchSize: null, shuffle: false, seed);
        int classCount = train.ClassCount;
        if (valid is not null && valid.ClassCount > classCount)
            throw host.Except($"Label column '{options.LabelColumnName}' of the validation data has {valid.ClassCount} classes; training has {classCount}.");
        if (classCount > MaxClasses)
            throw host.Except($"Label column '{options.LabelColumnName}' makes {classCount} classes (its key count, or the largest integer label + 1); the MLP takes at most {MaxClasses}.");
        if (classCount < 2)
            throw host.Except($"Label column '{options.LabelColumnName}' holds a single class; a classifier needs at least two.");
        int heldOut = 0;
        if (valid is null && options.EarlyStopping is { HoldOutFraction: > 0 } stopping)
            (train, valid, heldOut) = HoldOut(host, train, options, stopping.HoldOutFraction, seed);

        int[] sizes = [train.FeatureCount, .. options.HiddenLayers, classCount];
        var optimizer = options.EffectiveOptimizer;
        int firstEpoch = start is null ? 0 : CheckContinuable(host, start, sizes, options.Epochs);
        var engine = options.Engine;
        using var model = start is null
            ? engine.Create(sizes, seed, optimizer)
            : engine.Create(start.Network, optimizer, start.OptimizerState?.Kind == optimizer.Kind ? start.OptimizerState : null);
        var early = options.EarlyStopping is null ? null : new EarlyStoppingCallback(model, options.EarlyStopping);
        LearnerCallback[] callbacks =
        [
            new HostAliveCallback(host),
            new ScheduleCallback(model, options.Schedule, optimizer.LearningRate, optimizer.Momentum),
            .. early is null ? Array.Empty<LearnerCallback>() : [early],
            .. options.Callbacks,
        ];
        var history = new Learner(model, train.Batches, valid?.Batches, callbacks).Fit(options.Epochs, options.Progress, options.CancellationToken, firstEpoch);

        var (network, state, best) = early?.Best is { } kept && kept.Epoch != history[^1].Epoch
            ? (kept.Network, kept.State, (int?)kept.Epoch)
            : (model.ToNetwork(), model.ExportState(), null);
        var info = new MlpTrainingInfo(options.HiddenLayers.ToArray(), options.Epochs, options.BatchSize, optimizer.LearningRate,
            optimizer.Momentum, optimizer.WeightDecay, seed, options.Shuffle, train.Count, [.. start?.Training.History ?? [], .. history])
        {
            Engine = engine.Name, Optimizer = optimizer, Schedule = options.Schedule, EarlyStopping = options.EarlyStopping,
            BestEpoch = best, HeldOutRows = heldOut,
        };
        return new MlpModelParameters(host, network, info, state);
    }

    /// <summary>The epoch to continue from; throws unless the model has the layer sizes these options and data make and epochs are left.</summary>
    static int CheckContinuable(IHost host, MlpModelParameters start, int[] sizes, int epochs)
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
        if (rows.Batches is not DataLoader { Dataset: Dataset data })
            throw host.Except("Early stopping holds out training rows only when they fit in memory (MemoryBudgetBytes); give ValidationData for streamed training data.");
        int held = (int)Math.Round(data.Count * fraction);
        if (held < 1 || held >= data.Count)
            throw host.Except($"A hold-out fraction of {fraction} leaves {held} of {data.Count} rows to validate on; give validation data or a larger fraction.");
        var order = Enumerable.Range(0, data.Count).ToArray();
        new Random(seed).Shuffle(order);
        TrainingRows Take(int[] picked, int? batchSize, bool shuffle)
        {
            Array.Sort(picked);
            var (features, labels) = data[picked];
            var part = new Dataset(features, labels, data.FeatureCount, data.ClassCount);
            return new(new DataLoader(part, options.Engine.LoaderOptions(part, batchSize, shuffle, seed, options.NumWorkers)), part.FeatureCount, part.ClassCount, part.Count);
        }
        return (Take(order[held..], options.BatchSize, options.Shuffle), Take(order[..held], null, false), held);
    }
}
