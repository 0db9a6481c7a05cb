using System.Diagnostics;
using MlNetMnist.DataViews;
using MlNetMnist.Trainers.Engines;
using MlNetMnist.Trainers.Learning;
using MlNetMnist.Trainers.Learning.Schedules;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetMnist.Host.Bench;

/// <summary>
/// Epoch timings of our engines against the TorchSharp idiom on the same data in one process, and the machine's
/// matmul rate, for `mlnet-mnist bench`, the BenchmarkDotNet suite and the accuracy tests. Not used by training.
/// </summary>
public static class TrainingBenchmark
{
    /// <summary>
    /// Training the way a TorchSharp user writes it: nn.Sequential of Linear and ReLU, torch.optim's SGD, Adam or AdamW,
    /// lr_scheduler.OneCycleLR or CosineAnnealingLR stepped after every batch, F.cross_entropy, each minibatch taken by
    /// index_select (a fresh permutation per epoch, as our DataLoader shuffles) from one in-memory tensor.
    /// </summary>
    public sealed class TorchSharpIdiom : IDisposable
    {
        readonly nn.Module<Tensor, Tensor> _model;
        readonly optim.Optimizer _optimizer;
        readonly optim.lr_scheduler.LRScheduler? _scheduler;
        readonly Tensor _x, _y;
        readonly Generator _shuffle;
        readonly int _batchSize;

        /// <summary>The lesson's recipe: one hidden layer, plain SGD at a constant rate.</summary>
        public TorchSharpIdiom(Dataset data, int hidden, float learningRate, int batchSize, int seed)
            : this(data, new Recipe([hidden], batchSize, MlpOptimizer.Sgd(), learningRate, LearningRateSchedule.Constant, Epochs: 1, seed))
        {
        }

        public TorchSharpIdiom(Dataset data, Recipe recipe)
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
            var (o, lr) = (recipe.Optimizer, recipe.LearningRate);
            _optimizer = o.Kind switch
            {
                OptimizerKind.Adam => optim.Adam(_model.parameters(), lr, o.Momentum, o.Beta2, o.Epsilon, o.WeightDecay),
                OptimizerKind.AdamW => optim.AdamW(_model.parameters(), lr, o.Momentum, o.Beta2, o.Epsilon, o.WeightDecay),
                _ => optim.SGD(_model.parameters(), lr, o.Momentum, weight_decay: o.WeightDecay),
            };
            _batchSize = recipe.BatchSize;
            int steps = recipe.Epochs * ((data.Count + _batchSize - 1) / _batchSize);
            _scheduler = recipe.Schedule switch
            {
                OneCycleSchedule s => optim.lr_scheduler.OneCycleLR(_optimizer, lr, total_steps: steps, pct_start: s.PctStart,
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

    /// <summary>
    /// An engine's MLP of 784-<paramref name="hidden"/>-10 (or the data's sizes) on <paramref name="train"/>, shuffled, with plain SGD, in a
    /// Learner fed the batches the engine asks for: what the trainer runs, without the ML.NET plumbing around it.
    /// Dispose the returned model.
    /// </summary>
    public static (Learner Learner, ITrainableMlp Model) EngineLearner(MlpEngine engine, Dataset train, Dataset? valid, int hidden,
        int batchSize, float learningRate, int seed)
    {
        var model = engine.Create([train.FeatureCount, hidden, train.ClassCount], seed, MlpOptimizer.Sgd(), learningRate);
        var learner = new Learner(model, engine.Batches(train, batchSize, shuffle: true, seed), valid is null ? null : engine.Batches(valid));
        return (learner, model);
    }

    /// <summary>Float32 matmul rate (GFLOP/s) of an m x k by k x n product, best of a few runs.</summary>
    public static double MatmulGflops(int m, int k, int n, int repeats = 5)
    {
        using var a = rand(m, k);
        using var b = rand(k, n);
        double best = double.MaxValue;
        for (int r = 0; r < repeats + 1; r++)
        {
            var clock = Stopwatch.StartNew();
            using (var c = a.mm(b)) { }
            if (r > 0) best = Math.Min(best, clock.Elapsed.TotalSeconds); // the first run warms up
        }
        return 2.0 * m * k * n / best / 1e9;
    }

    /// <summary>Forward plus weight-gradient FLOPs of one epoch of an MLP (the input gradient of layer 1 is not needed).</summary>
    public static double EpochGflop(int rows, IReadOnlyList<int> sizes)
    {
        double flop = 0;
        for (int l = 0; l + 1 < sizes.Count; l++)
        {
            double product = 2.0 * rows * sizes[l] * sizes[l + 1];
            flop += product * (l == 0 ? 2 : 3); // forward, weight gradient, and for upper layers the input gradient
        }
        return flop / 1e9;
    }

    /// <summary>Warm-up epochs before timing: the runtime's tiered JIT and the loader's worker settle over the first three or four.</summary>
    public const int WarmupEpochs = 3;

    /// <summary>
    /// A pause before each timed run, so that the threads of the one before are asleep: libtorch's OpenMP workers
    /// spin-wait after their work (libgomp's default wait policy) and would share the cores with the contestant timed
    /// next. On a 2-core AMD EPYC the managed engine's batch-512 epoch took 0.038 s right after the idiom's, 0.046 s
    /// after a 5 ms pause, and 0.026 to 0.028 s after 30 or 200 ms, while the idiom's own times did not change.
    /// </summary>
    public static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Median seconds of each of <paramref name="contestants"/>' epochs over <paramref name="rounds"/> timed rounds,
    /// after <see cref="WarmupEpochs"/> untimed ones; a round runs one epoch of each contestant in turn, each after <see cref="Settle"/>.
    /// </summary>
    public static double[] MedianSeconds(IReadOnlyList<Action> contestants, int rounds)
    {
        for (int i = 0; i < WarmupEpochs; i++)
            foreach (var epoch in contestants) epoch();
        var times = new double[contestants.Count][];
        for (int c = 0; c < contestants.Count; c++) times[c] = new double[rounds];
        for (int round = 0; round < rounds; round++)
            for (int c = 0; c < contestants.Count; c++)
            {
                Thread.Sleep(Settle);
                var clock = Stopwatch.StartNew();
                contestants[c]();
                times[c][round] = clock.Elapsed.TotalSeconds;
            }
        return times.Select(t => t.Order().ElementAt(rounds / 2)).ToArray();
    }
}
