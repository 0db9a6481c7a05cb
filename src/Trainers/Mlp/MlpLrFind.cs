using Microsoft.ML;
using Microsoft.ML.Runtime;
using MlNetMnist.DataViews;
using MlNetMnist.Trainers.Learning;
using MlNetMnist.Trainers.Learning.Callbacks;

namespace MlNetMnist.Trainers;

/// <summary>What <see cref="MlpTrainer.FindLearningRate"/> does: a fresh MLP of the options, trained by a Learner whose <see cref="LrFinderCallback"/> sets the rate.</summary>
internal static class MlpLrFind
{
    public static LrFinderResult Run(IHost host, MlpOptions options, IDataView trainData, int seed, double start, double end, int steps)
    {
        var train = Dataset.FromDataView(trainData, options.FeatureColumnName, options.LabelColumnName);
        if (train.Count == 0)
            throw host.Except($"No training rows: the data view has no rows for columns '{options.FeatureColumnName}' and '{options.LabelColumnName}'.");
        var engine = options.Engine;
        var loader = new DataLoader(train, engine.LoaderOptions(train, options.BatchSize, options.Shuffle, seed, options.NumWorkers));
        int[] sizes = [train.FeatureCount, .. options.HiddenLayers, train.ClassCount];
        var optimizer = options.EffectiveOptimizer;
        using var model = engine.Create(sizes, seed, optimizer);
        var finder = new LrFinderCallback(model, start, end, steps);
        int epochs = (steps + loader.BatchCount - 1) / loader.BatchCount;
        new Learner(model, loader, callbacks: [finder]).Fit(epochs, cancellationToken: options.CancellationToken);
        return finder.Result;
    }
}
