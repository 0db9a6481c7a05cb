using System.Diagnostics;
using MlNetMnist.DataViews;
using MlNetMnist.Trainers.Engines;
using MlNetMnist.Trainers.Learning;
using MlNetMnist.Trainers.Learning.Callbacks;
using MlNetMnist.Trainers.Learning.Schedules;

namespace MlNetMnist.Host.Bench;

/// <summary>A training recipe as `bench --to-accuracy` runs it on both sides: layer sizes, batch, optimizer, schedule, epochs at most.</summary>
public sealed record Recipe(int[] HiddenLayers, int BatchSize, MlpOptimizer Optimizer, float LearningRate, LearningRateSchedule Schedule, int Epochs, int Seed = 1)
{
    /// <summary>The documented MNIST recipe: 784-256-10, batch 32, Adam at 0.003 under one-cycle, 10 epochs.</summary>
    public static Recipe Mnist98 { get; } = new([256], 32, MlpOptimizer.Adam(), 0.003f, new OneCycleSchedule(), 10);

    public override string ToString() =>
        $"784-{string.Join("-", HiddenLayers)}-10, batch {BatchSize}, {Optimizer.ToString(LearningRate)}, {Schedule.Name}, at most {Epochs} epochs, seed {Seed}";
}

/// <summary>
/// Wall time from the start of training until validation accuracy (checked after each epoch) first reaches a target:
/// our engine through the Learner, and the TorchSharp idiom with torch.optim and lr_scheduler, given one recipe.
/// </summary>
public static class ToAccuracy
{
    /// <summary>Seconds and epochs until the target accuracy, or null seconds when the recipe's epochs end first; the accuracy per epoch.</summary>
    public sealed record Outcome(double? Seconds, int Epochs, IReadOnlyList<double> Accuracies);

    public static Outcome Ours(MlpEngine engine, Dataset train, Dataset valid, Recipe recipe, double target, CancellationToken cancellation = default)
    {
        int[] sizes = [train.FeatureCount, .. recipe.HiddenLayers, train.ClassCount];
        var clock = Stopwatch.StartNew();
        using var model = engine.Create(sizes, recipe.Seed, recipe.Optimizer, recipe.LearningRate);
        var stop = new StopAt(target, clock);
        var learner = new Learner(model,
            engine.Batches(train, recipe.BatchSize, shuffle: true, recipe.Seed),
            engine.Batches(valid),
            [new ScheduleCallback(model, recipe.Schedule, recipe.LearningRate, recipe.Optimizer.Momentum), stop]);
        var history = learner.Fit(recipe.Epochs, cancellationToken: cancellation);
        return new Outcome(stop.Seconds, history.Count, history.Select(h => h.ValidMetric!.Value).ToArray());
    }

    /// <summary>Ends the fit once validation accuracy reaches the target, noting the time.</summary>
    sealed class StopAt(double target, Stopwatch clock) : LearnerCallback
    {
        public double? Seconds { get; private set; }

        public override int Order => 20;

        public override void AfterEpoch(Learner learner)
        {
            if (learner.History[^1].ValidMetric < target) return;
            Seconds = clock.Elapsed.TotalSeconds;
            throw new CancelFitException();
        }
    }

    public static Outcome Idiom(Dataset train, Dataset valid, Recipe recipe, double target, CancellationToken cancellation = default)
    {
        using var idiom = new TrainingBenchmark.TorchSharpIdiom(train, recipe);
        var clock = Stopwatch.StartNew();
        var accuracies = new List<double>();
        for (int epoch = 0; epoch < recipe.Epochs; epoch++)
        {
            cancellation.ThrowIfCancellationRequested();
            idiom.Epoch();
            accuracies.Add(idiom.Accuracy(valid));
            if (accuracies[^1] >= target) return new Outcome(clock.Elapsed.TotalSeconds, epoch + 1, accuracies);
        }
        return new Outcome(null, recipe.Epochs, accuracies);
    }
}
