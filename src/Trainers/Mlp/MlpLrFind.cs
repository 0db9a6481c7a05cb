using Microsoft.ML;
using Microsoft.ML.Runtime;
using MlNetMnist.Trainers.Learning;
using MlNetMnist.Trainers.Learning.Callbacks;

namespace MlNetMnist.Trainers;

/// <summary>
/// What every MLP trainer's FindLearningRate does: a fresh MLP of the options with the task's head (and loss), read
/// and batched as Fit reads them, trained by a Learner whose <see cref="LrFinderCallback"/> sets the rate.
/// </summary>
internal static class MlpLrFind
{
    public static LrFinderResult Run(IHost host, MlpOptions options, MlpTask task, IDataView trainData, double start, double end, int steps)
    {
        host.CheckValue(trainData, nameof(trainData));
        if (!(start > 0 && end > start)) throw new ArgumentOutOfRangeException(nameof(end), "The rates must satisfy 0 < start < end.");
        if (steps < 2) throw new ArgumentOutOfRangeException(nameof(steps), steps, "The finder needs at least 2 steps.");
        options.Validate();
        int seed = options.Seed ?? host.Rand.Next();
        var train = MlpFit.LoadTraining(host, options, task, trainData, seed);
        var head = MlpFit.Head(host, options, task, train, start: null);
        int[] sizes = [train.FeatureCount, .. options.HiddenLayers, head.OutputCount(train.ClassCount)];
        using var model = options.Engine.Create(sizes, seed, options.Optimizer, options.EffectiveLearningRate, head);
        var finder = new LrFinderCallback(model, start, end, steps);
        int epochs = (steps + train.Batches.BatchCount - 1) / train.Batches.BatchCount;
        new Learner(model, train.Batches, callbacks: [finder]).Fit(epochs, cancellationToken: options.CancellationToken);
        return finder.Result;
    }
}
