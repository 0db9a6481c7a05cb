using System.Diagnostics;
using MlNetMnist.DataViews;
using MlNetMnist.Trainers.Engines;
using MlNetMnist.Trainers.Learning;
using MlNetMnist.Trainers.Learning.Callbacks;
using MlNetMnist.Trainers.Learning.Schedules;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetMnist.Host.Bench;

/// <summary>A training recipe as `bench --to-accuracy` runs it on both sides: layer sizes, batch, optimizer, schedule, epochs at most.</summary>
public sealed record Recipe(int[] HiddenLayers, int BatchSize, MlpOptimizer Optimizer, LearningRateSchedule Schedule, int Epochs, int Seed = 1)
{
    /// <summary>The documented MNIST recipe: 784-256-10, batch 32, Adam at 0.003 under one-cycle, 10 epochs.</summary>
    public static Recipe Mnist98 { get; } = new([256], 32, MlpOptimizer.Adam(0.003f), new OneCycleSchedule(), 10);

    public override string ToString() =>
        $"784-{string.Join("-", HiddenLayers)}-10, batch {BatchSize}, {Optimizer}, {Schedule.Name}, at most {Epochs} epochs, seed {Seed}";
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
        using var model = engine.Create(sizes, recipe.Seed, recipe.Optimizer);
        var stop = new StopAt(target, clock);
        var learner = new Learner(model,
            new DataLoader(train, engine.LoaderOptions(train, recipe.BatchSize, shuffle: true, recipe.Seed)),
            new DataLoader(valid, engine.LoaderOptions(valid)),
            [new ScheduleCallback(model, recipe.Schedule, recipe.Optimizer.LearningRate, recipe.Optimizer.Momentum), stop]);
        var history = learner.Fit(recipe.Epochs, cancellationToken: cancellation);
        return new Outcome(stop.Seconds, history.Count, history.Select(h => h.ValidAccuracy!.Value).ToArray());
    }

    /// <summary>Ends the fit once validation accuracy reaches the target, noting the time.</summary>
    sealed class StopAt(double target, Stopwatch clock) : LearnerCallback
    {
        public double? Seconds { get; private set; }

        public override int Order => 20;

        public override void AfterEpoch(Learner learner)
        {
            if (learner.History[^1].ValidAccuracy < target) return;
            Seconds = clock.Elapsed.TotalSeconds;
            throw new CancelFitException();
        }
    }

    public static Outcome Idiom(Dataset train, Dataset valid, Recipe recipe, double target, CancellationToken cancellation = default)
    {
        using var idiom = new RecipeIdiom(train, recipe);
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

    /// <summary>
    /// The recipe the way a TorchSharp user writes it: nn.Sequential of Linear and ReLU, torch.optim's SGD, Adam or
    /// AdamW, lr_scheduler.OneCycleLR or CosineAnnealingLR stepped after every batch, F.cross_entropy, minibatches by
    /// index_select from one tensor (a fresh permutation per epoch).
    /// </summary>
    sealed class RecipeIdiom : IDisposable
    {
        readonly nn.Module<Tensor, Tensor> _model;
        readonly optim.Optimizer _optimizer;
        readonly optim.lr_scheduler.LRScheduler? _scheduler;
        readonly Tensor _x, _y;
        readonly Generator _shuffle;
        readonly int _batchSize;

        public RecipeIdiom(Dataset data, Recipe recipe)
        {
            torch.manual_seed(recipe.Seed);
            var layers = new List<nn.Module<Tensor, Tensor>>();
            int inputs = data.FeatureCount;
            foreach (int hidden in recipe.HiddenLayers)
            {
                layers.Add(nn.Linear(inputs, hidden));
                layers.Add(nn.ReLU());
                inputs = hidden;
            }
            layers.Add(nn.Linear(inputs, data.ClassCount));
            _model = nn.Sequential(layers);
            var o = recipe.Optimizer;
            _optimizer = o.Kind switch
            {
                OptimizerKind.Adam => optim.Adam(_model.parameters(), o.LearningRate, o.Momentum, o.Beta2, o.Epsilon, o.WeightDecay),
                OptimizerKind.AdamW => optim.AdamW(_model.parameters(), o.LearningRate, o.Momentum, o.Beta2, o.Epsilon, o.WeightDecay),
                _ => optim.SGD(_model.parameters(), o.LearningRate, o.Momentum, weight_decay: o.WeightDecay),
            };
            _batchSize = recipe.BatchSize;
            int steps = recipe.Epochs * ((data.Count + _batchSize - 1) / _batchSize);
            _scheduler = recipe.Schedule switch
            {
                OneCycleSchedule s => optim.lr_scheduler.OneCycleLR(_optimizer, o.LearningRate, total_steps: steps, pct_start: s.PctStart,
                    cycle_momentum: s.CycleMomentum, base_momentum: s.BaseMomentum, max_momentum: s.MaxMomentum, div_factor: s.DivFactor,
                    final_div_factor: s.FinalDivFactor),
                CosineSchedule s => optim.lr_scheduler.CosineAnnealingLR(_optimizer, steps, s.MinLearningRate),
                _ => null,
            };
            var (features, labels) = data[Enumerable.Range(0, data.Count).ToArray()];
            _x = tensor(features, [data.Count, data.FeatureCount]);
            _y = tensor(labels.Select(l => (long)l).ToArray());
            _shuffle = new Generator((ulong)recipe.Seed);
        }

        public void Epoch()
        {
            long n = _x.shape[0];
            using var order = randperm(n, generator: _shuffle);
            for (long start = 0; start < n; start += _batchSize)
            {
                using var scope = NewDisposeScope();
                var indices = order.narrow(0, start, Math.Min(_batchSize, n - start));
                var loss = nn.functional.cross_entropy(_model.forward(_x.index_select(0, indices)), _y.index_select(0, indices));
                loss.backward();
                _optimizer.step();
                _optimizer.zero_grad();
                _scheduler?.step();
            }
        }

        public double Accuracy(Dataset data)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var (features, labels) = data[Enumerable.Range(0, data.Count).ToArray()];
            var predicted = _model.forward(tensor(features, [data.Count, data.FeatureCount])).argmax(1);
            return predicted.eq(tensor(labels.Select(l => (long)l).ToArray())).to_type(ScalarType.Float32).mean().item<float>();
        }

        public void Dispose()
        {
            _model.Dispose();
            _optimizer.Dispose();
            _x.Dispose();
            _y.Dispose();
            _shuffle.Dispose();
        }
    }
}
