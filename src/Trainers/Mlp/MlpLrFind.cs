using Microsoft.ML;
using Microsoft.ML.Runtime;
using MlNetMnist.Trainers.Learning;
using MlNetMnist.Trainers.Learning.Callbacks;

namespace MlNetMnist.Trainers;

/// <summary>What <see cref="MlpTrainer.FindLearningRate"/> does: a fresh MLP of the options, trained by a Learner whose <see cref="LrFinderCallback"/> sets the rate.</summary>
internal static class MlpLrFind
{
    public static LrFinderResult Run(IHost host, MlpOptions options, IDataView trainData, int seed, double start, double end, int steps)
    {
        var engine = options.Engine;
        var (train, classCount) = engine.ReadRows(trainData, options.FeatureColumnName, options.LabelColumnName, long.MaxValue)!;
        if (train.Count == 0)
            throw host.Except($"No training rows: the data view has no rows for columns '{options.FeatureColumnName}' and '{options.LabelColumnName}'.");
        var loader = engine.Batches(train, options.BatchSize, options.Shuffle, seed, options.NumWorkers);
        int[] sizes = [train.FeatureCount, .. options.HiddenLayers, classCount];
        using var model = engine.Create(sizes, seed, options.Optimizer, options.EffectiveLearningRate);
        var finder = new LrFinderCallback(model, start, end, steps);
        int epochs = (steps + loader.BatchCount - 1) / loader.BatchCount;
        new Learner(model, loader, callbacks: [finder]).Fit(epochs, cancellationToken: options.CancellationToken);
        return finder.Result;
    }
}
