using Microsoft.ML;
using Microsoft.ML.Runtime;
using MlNetMnist.DataViews;
using MlNetMnist.Trainers.Engines;
using MlNetMnist.Trainers.Learning;

namespace MlNetMnist.Trainers;

/// <summary>What <see cref="MlpTrainer"/>'s Fit does: data into a Dataset and DataLoader, the chosen engine's MLP into a Learner.</summary>
internal static class MlpFit
{
    /// <summary>More classes than this is almost surely an ID column taken for a label (and an output layer of millions of weights).</summary>
    internal const int MaxClasses = 1 << 16;

    public static MlpModelParameters Run(IHost host, MlpOptions options, IDataView trainData, IDataView? validData, int seed)
    {
        var train = Dataset.FromDataView(trainData, options.FeatureColumnName, options.LabelColumnName);
        if (train.Count == 0)
            throw host.Except($"No training rows: the data view has no rows for columns '{options.FeatureColumnName}' and '{options.LabelColumnName}'.");
        var valid = validData is null ? null : Dataset.FromDataView(validData, options.FeatureColumnName, options.LabelColumnName);
        int classCount = train.ClassCount;
        if (valid is not null && valid.ClassCount > classCount)
            throw host.Except($"Label column '{options.LabelColumnName}' of the validation data has {valid.ClassCount} classes; training has {classCount}.");
        if (classCount > MaxClasses)
            throw host.Except($"Label column '{options.LabelColumnName}' makes {classCount} classes (its key count, or the largest integer label + 1); the MLP takes at most {MaxClasses}.");
        if (classCount < 2)
            throw host.Except($"Label column '{options.LabelColumnName}' holds a single class; a classifier needs at least two.");

        var engine = options.Engine;
        var trainLoader = new DataLoader(train, engine.LoaderOptions(train, options.BatchSize, options.Shuffle, seed, options.NumWorkers));
        var validLoader = valid is null ? null : new DataLoader(valid, engine.LoaderOptions(valid, workers: options.NumWorkers));

        int[] sizes = [train.FeatureCount, .. options.HiddenLayers, classCount];
        using var model = engine.Create(sizes, seed, options.Optimizer);
        var history = new Learner(model, trainLoader, validLoader).Fit(options.Epochs, options.Progress, options.CancellationToken);
        var info = new MlpTrainingInfo(options.HiddenLayers.ToArray(), options.Epochs, options.BatchSize, options.LearningRate,
            options.Momentum, options.WeightDecay, seed, options.Shuffle, train.Count, history) { Engine = engine.Name };
        return new MlpModelParameters(host, model.ToNetwork(), info);
    }
}
