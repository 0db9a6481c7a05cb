using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MlNetMnist.DataViews;
using MlNetMnist.Trainers.Learning;
using static TorchSharp.torch;

namespace MlNetMnist.Trainers;

/// <summary>What <see cref="MlpTrainer"/>'s Fit does: data into a Dataset and DataLoader, the chosen engine's MLP into a Learner.</summary>
internal static class MlpFit
{
    /// <summary>Validation batches are only scored, so they can be large.</summary>
    const int ValidationBatchSize = 1000;

    public static MlpModelParameters Run(IHost host, MlpOptions options, IDataView trainData, IDataView? validData, int seed)
    {
        var train = Dataset.FromDataView(trainData, options.FeatureColumnName, options.LabelColumnName);
        if (train.Count == 0)
            throw host.Except($"No training rows: the data view has no rows for columns '{options.FeatureColumnName}' and '{options.LabelColumnName}'.");
        var valid = validData is null ? null : Dataset.FromDataView(validData, options.FeatureColumnName, options.LabelColumnName);
        int classCount = train.ClassCount;
        if (valid is not null && valid.ClassCount > classCount)
            throw host.Except($"Label column '{options.LabelColumnName}' of the validation data has {valid.ClassCount} classes; training has {classCount}.");
        if (classCount < 2)
            throw host.Except($"Label column '{options.LabelColumnName}' holds a single class; a classifier needs at least two.");

        int[] sizes = [train.FeatureCount, .. options.HiddenLayers, classCount];
        // Sparse batches pay while most values are zero (MNIST: 81%); past half nonzero the sparse copy is the larger.
        bool sparse = MlpEngines.ReadsSparseBatches(options.Engine) && train.NonzeroShare() <= 0.5;
        var trainLoader = new DataLoader(train, new DataLoaderOptions
        {
            BatchSize = options.BatchSize, Shuffle = options.Shuffle, Seed = seed, Sparse = sparse,
            NumWorkers = options.NumWorkers ?? MlpEngines.DefaultWorkers(options.Engine, options.BatchSize),
        });
        var validLoader = valid is null ? null : new DataLoader(valid, new DataLoaderOptions
        {
            BatchSize = ValidationBatchSize, Sparse = sparse,
            NumWorkers = options.NumWorkers ?? MlpEngines.DefaultWorkers(options.Engine, ValidationBatchSize),
        });

        using var generator = new Generator((ulong)seed);
        using var model = MlpEngines.Create(options.Engine, sizes, Math.Max(options.BatchSize, ValidationBatchSize),
            options.LearningRate, options.Momentum, options.WeightDecay, generator);
        var history = new Learner(model, trainLoader, validLoader).Fit(options.Epochs, options.Progress, options.CancellationToken);
        var network = model.ToNetwork();
        var info = new MlpTrainingInfo(options.HiddenLayers.ToArray(), options.Epochs, options.BatchSize, options.LearningRate,
            options.Momentum, options.WeightDecay, seed, options.Shuffle, train.Count, history) { Engine = options.Engine };
        return new MlpModelParameters(host, network, info);
    }
}
