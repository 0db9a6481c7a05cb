using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using MlNetMnist.DataViews;
using MlNetMnist.Trainers.Fast;
using MlNetMnist.Trainers.Learning;
using MlNetMnist.Trainers.Losses;
using MlNetMnist.Trainers.Nn;
using MlNetMnist.Trainers.Optim;
using static TorchSharp.torch;

namespace MlNetMnist.Trainers;

/// <summary>What <see cref="MlpTrainer"/>'s Fit does: data into a Dataset and DataLoader, the lesson's model, loss and Sgd into a Learner.</summary>
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
        var trainLoader = new DataLoader(train, new DataLoaderOptions
        {
            BatchSize = options.BatchSize, Shuffle = options.Shuffle, Seed = seed, NumWorkers = options.NumWorkers,
        });
        var validLoader = valid is null ? null : new DataLoader(valid, new DataLoaderOptions { BatchSize = ValidationBatchSize, NumWorkers = options.NumWorkers });

        using var generator = new Generator((ulong)seed);
        IReadOnlyList<EpochMetrics> history;
        MlpNetwork network;
        if (options.Engine == MlpEngine.Fused)
        {
            using var model = new FusedMlp(sizes, Math.Max(options.BatchSize, ValidationBatchSize), options.LearningRate,
                options.Momentum, options.WeightDecay, generator);
            history = new Learner(model, trainLoader, validLoader).Fit(options.Epochs, options.Progress, options.CancellationToken);
            network = model.ToNetwork();
        }
        else
        {
            using var model = Sequential.Mlp(sizes, generator);
            using var optimizer = new Sgd(model.Parameters(), options.LearningRate, options.Momentum, options.WeightDecay);
            history = new Learner(model, Loss.CrossEntropy, optimizer, trainLoader, validLoader).Fit(options.Epochs, options.Progress, options.CancellationToken);
            var linears = model.Layers.OfType<Linear>().ToArray();
            network = new MlpNetwork(sizes,
                linears.Select(l => l.Weight.data<float>().ToArray()).ToArray(),
                linears.Select(l => l.Bias.data<float>().ToArray()).ToArray());
        }
        var info = new MlpTrainingInfo(options.HiddenLayers.ToArray(), options.Epochs, options.BatchSize, options.LearningRate,
            options.Momentum, options.WeightDecay, seed, options.Shuffle, train.Count, history) { Engine = options.Engine };
        return new MlpModelParameters(host, network, info);
    }
}
