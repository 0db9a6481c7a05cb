using Microsoft.ML;
using Microsoft.ML.Runtime;
using MlNetMnist.Trainers.Engines;
using MlNetMnist.Trainers.Learning;

namespace MlNetMnist.Trainers;

/// <summary>What <see cref="MlpTrainer"/>'s Fit does: the rows as batches (<see cref="TrainingRows"/>), the chosen engine's MLP into a Learner.</summary>
internal static class MlpFit
{
    /// <summary>More classes than this is almost surely an ID column taken for a label (and an output layer of millions of weights).</summary>
    internal const int MaxClasses = 1 << 16;

    public static MlpModelParameters Run(IHost host, MlpOptions options, IDataView trainData, IDataView? validData, int seed)
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

        var engine = options.Engine;
        int[] sizes = [train.FeatureCount, .. options.HiddenLayers, classCount];
        using var model = engine.Create(sizes, seed, options.Optimizer);
        var history = new Learner(model, train.Batches, valid?.Batches).Fit(options.Epochs, options.Progress, options.CancellationToken);
        var info = new MlpTrainingInfo(options.HiddenLayers.ToArray(), options.Epochs, options.BatchSize, options.LearningRate,
            options.Momentum, options.WeightDecay, seed, options.Shuffle, train.Count, history) { Engine = engine.Name };
        return new MlpModelParameters(host, model.ToNetwork(), info);
    }
}
