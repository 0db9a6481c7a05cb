using System.Runtime.CompilerServices;
using MlNetMnist.DataViews;
using MlNetMnist.Trainers.Learning;
using MlNetMnist.Trainers.Models;

namespace MlNetMnist.Trainers.Engines.Managed;

/// <summary>
/// The lesson's model, loss and SGD with the backward pass written out (the lesson's manual backward, fused into one
/// pass), computed in managed SIMD code: no native library, and no per-call overhead, which at the lesson's batch of
/// 50 costs more than the arithmetic. Each layer multiplies only the nonzero inputs of a row (MNIST pixels are about
/// 80% zero, ReLU outputs about half), so forward and weight update cost what the data holds, not in x out per row.
/// The arithmetic is the dense form's; only the order of float additions differs. A batch of
/// <see cref="SplitRows"/> or more is split between threads (see there); a smaller one runs on the caller's thread.
/// </summary>
public sealed class ManagedMlp : ITrainableMlp
{
    readonly int[] _sizes;
    readonly ManagedLayer[] _layers;
    readonly MlpOptimizer _optimizer; // kind and constants; the rate and momentum below change per step
    readonly MlpHead _head;
    float _weightSum; // this step's: the batch's rows' weights summed, what the mean loss divides by
    float _learningRate, _momentum;
    long _steps;
    readonly bool[] _freshMomentum; // per layer, this step's: SGD's momentum buffer starts from the gradient
    readonly long _weightCount;
    bool _plainSgd; // this step's: plain SGD adds the gradients straight into the weights
    readonly Team _team;
    Scratch _scratch;
    Batch? _batch; // the batch in flight, read by every member of the team

    /// <param name="initial">The starting weights (copied).</param>
    /// <param name="optimizer">The optimizer it steps with.</param>
    /// <param name="learningRate">The step size, until a schedule sets another (<see cref="LearningRate"/>).</param>
    /// <param name="threads">Threads a large batch is split between, the caller's included; 0: two, or one on a single core.</param>
    /// <param name="state">The optimizer's buffers to continue from (<see cref="ExportState"/>); null starts afresh.</param>
    /// <param name="head">The output head and loss; null: softmax cross-entropy.</param>
    public ManagedMlp(MlpNetwork initial, MlpOptimizer optimizer, float learningRate, int threads = 0, MlpOptimizerState? state = null, MlpHead? head = null)
    {
        ArgumentNullException.ThrowIfNull(initial);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        optimizer.Validate();
        MlpOptimizer.ValidateLearningRate(learningRate);
        _head = head ?? MlpHead.Softmax();
        _head.Validate();
        _sizes = initial.LayerSizes.ToArray();
        (_optimizer, _learningRate, _momentum) = (optimizer, learningRate, optimizer.Momentum);
        _layers = Enumerable.Range(0, _sizes.Length - 1)
            .Select(l => new ManagedLayer(initial.GetWeights(l), initial.GetBiases(l), _sizes[l], _sizes[l + 1], withGradients: !PlainSgd))
            .ToArray();
        _freshMomentum = new bool[_layers.Length];
        _weightCount = _layers.Sum(l => (long)l.Weights.Length);
        if (state is not null) Import(state);
        _scratch = new Scratch(0, _layers);
        _team = new Team(threads > 0 ? threads : Math.Min(2, Environment.ProcessorCount), Work);
        foreach (var layer in _layers) layer.MakeShares(_team.Size);
    }

    /// <inheritdoc/>
    public float LearningRate
    {
        get => _learningRate;
        set => _learningRate = value;
    }

    /// <inheritdoc/>
    public float Momentum
    {
        get => _momentum;
        set => _momentum = value;
    }

    bool PlainSgd => _optimizer is { Kind: OptimizerKind.Sgd, WeightDecay: 0 } && _momentum == 0;

    /// <summary>Threads a large batch is split between, the caller's included.</summary>
    public int Threads => _team.Size;

    // The step's methods and kernels are optimised from their first call: a step runs a thousand times an epoch,
    // and would otherwise spend the first epochs in the runtime's unoptimised tiers.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public double TrainBatch(Batch batch)
    {
        Begin(batch);
        _weightSum = 0;
        for (int r = 0; r < batch.Size; r++) _weightSum += _head.Weight(batch, r);
        _plainSgd = PlainSgd;
        if (!_plainSgd)
            foreach (var layer in _layers) layer.EnsureGradients();
        _steps++;
        // The gradients below use the weights before this step's update.
        for (int l = 1; l < _layers.Length; l++) _layers[l].Transpose();
        if (Split(batch.Size))
        {
            _team.Run(TrainShare);
            _team.Run(AddShares);
        }
        else
            Train(0, batch.Size, shareOf: null);
        if (!_plainSgd)
        {
            for (int l = 0; l < _layers.Length; l++) _freshMomentum[l] = _layers[l].EnsureMoments(_optimizer, _momentum);
            if (_team.Size > 1 && _weightCount >= SplitStepWeights) _team.Run(StepShare);
            else
                for (int l = 0; l < _layers.Length; l++)
                    _layers[l].Step(_optimizer, _learningRate, _momentum, _steps, 0, _layers[l].In, withBiases: true, _freshMomentum[l]);
        }
        _batch = null;
        return _weightSum > 0 ? _scratch.LossSum(batch.Size) / _weightSum : 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public EvaluationSums EvaluateBatch(Batch batch)
    {
        Begin(batch);
        if (Split(batch.Size)) _team.Run(ScoreShare);
        else Forward(0, batch.Size);
        _batch = null;
        var sums = new EvaluationSums();
        var labels = batch.Labels.Span;
        for (int r = 0; r < batch.Size; r++)
            sums += _head.Evaluate(_scratch.Logits(r), labels[r], _head.Target(batch, r), _head.Weight(batch, r));
        return sums;
    }

    /// <inheritdoc/>
    public string MetricName => _head.MetricName;

    /// <inheritdoc/>
    public double Metric(EvaluationSums sums) => _head.Metric(sums);

    // Phases of a split step, run by every member of the team on its share.
    const int TrainShare = 0, AddShares = 1, ScoreShare = 2, StepShare = 3;

    /// <summary>
    /// The optimizer's step (other than plain SGD) is split between the threads, each taking a share of every layer's
    /// weight rows, from this many weights: Adam reads and writes four arrays of them, and one thread's pass through
    /// them costs more than a hand-off.
    /// </summary>
    const int SplitStepWeights = 32 * 1024;

    /// <summary>
    /// Batches of this many rows or more are split between the threads: each runs the whole step on its own rows,
    /// its weight gradient going to a buffer of its own, and then each adds a share of the weight rows from every
    /// buffer. Below it that sum and the hand-offs cost more than the halved step saves.
    /// </summary>
    public const int SplitRows = 128;

    bool Split(int rows) => _team.Size > 1 && rows >= SplitRows;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void Work(int phase, int member)
    {
        int n = _batch?.Size ?? 0, size = _team.Size;
        int from = member * n / size, to = (member + 1) * n / size;
        switch (phase)
        {
            case TrainShare:
                Train(from, to, shareOf: member);
                break;
            case ScoreShare:
                Forward(from, to);
                break;
            case StepShare:
                for (int l = 0; l < _layers.Length; l++)
                {
                    var layer = _layers[l];
                    layer.Step(_optimizer, _learningRate, _momentum, _steps, member * layer.In / size, (member + 1) * layer.In / size,
                        withBiases: member == 0, _freshMomentum[l]);
                }
                break;
            case AddShares:
                foreach (var layer in _layers)
                    layer.AddShares(member * layer.In / size, (member + 1) * layer.In / size, toWeights: _plainSgd, withBiases: member == 0);
                break;
        }
    }

    void Begin(Batch batch)
    {
        if (batch.FeatureCount != _sizes[0])
            throw new ArgumentException($"Batch {batch.Index} has {batch.FeatureCount} features; the model takes {_sizes[0]}.", nameof(batch));
        if (_scratch.Rows < batch.Size) _scratch = new Scratch(batch.Size, _layers);
        _batch = batch;
    }

    /// <summary>
    /// Rows [from, to) forward, their loss and backward, and their weight and bias gradients: into the weights
    /// (plain SGD, scaled by -lr/n) or the layer's gradients (the mean), or with <paramref name="shareOf"/> into
    /// that member's share.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void Train(int from, int to, int? shareOf)
    {
        var s = Forward(from, to);
        var batch = _batch!;
        var labels = batch.Labels.Span;
        for (int r = from; r < to; r++)
        {
            float weight = _head.Weight(batch, r);
            var gradient = s.PaddedLogits(r);
            s.RowLoss[r] = weight * (double)_head.LossAndGradient(gradient, _layers[^1].Out, labels[r], _head.Target(batch, r));
            if (weight != 1) System.Numerics.Tensors.TensorPrimitives.Multiply(gradient, weight, gradient);
            for (int l = _layers.Length - 1; l > 0; l--)
                Kernels.InputGradient(_layers[l], s.Gradient(l, r), s.Output(l - 1, r), s.Gradient(l - 1, r));
        }
        // The weighted mean's gradient (the plain mean's when no row has a weight); when no row counts, no change.
        float scale = !(_weightSum > 0) ? 0 : _plainSgd ? -LearningRate / _weightSum : 1f / _weightSum;
        for (int l = 0; l < _layers.Length; l++)
        {
            var layer = _layers[l];
            var (weights, biases) = shareOf is int member ? layer.Share(member)
                : _plainSgd ? (layer.Weights, layer.Biases) : (layer.WeightGradient, layer.BiasGradient);
            if (shareOf is null && !_plainSgd) layer.ClearGradients();
            Kernels.AddWeightGradient(weights.Span, layer.Width, s.Inputs[l], s.Gradients(l), from, to, scale);
            Kernels.AddColumnSums(biases.Span, s.Gradients(l), from, to, scale);
        }
    }

    /// <summary>Rows [from, to) through every layer: pre-activations, kept sparse after ReLU as the next layer's input; logits last.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    Scratch Forward(int from, int to)
    {
        var batch = _batch!;
        var s = _scratch;
        if (batch is SparseBatch { Rows: var sparse })
            for (int r = from; r < to; r++)
            {
                if (r + 2 < to) AlignedMemory.Prefetch(sparse.Row(r + 2));
                s.Inputs[0].Set(r, sparse.Row(r));
            }
        else
        {
            var features = batch.Features.Span;
            for (int r = from; r < to; r++)
                s.Inputs[0].Set(r, features.Slice(r * batch.FeatureCount, batch.FeatureCount));
        }
        for (int l = 0; l < _layers.Length; l++)
        {
            var layer = _layers[l];
            var outputs = s.Outputs(l);
            Kernels.Forward(layer, s.Inputs[l], from, to, outputs);
            if (l == _layers.Length - 1) break;
            for (int r = from; r < to; r++)
                s.Inputs[l + 1].Set(r, outputs.Slice(r * layer.Width, layer.Out), relu: true);
        }
        return s;
    }

    /// <inheritdoc/>
    public MlpOptimizerState ExportState()
    {
        var moments = new List<float[]>();
        if (_layers.All(l => l.HasMoments))
            foreach (var layer in _layers)
            {
                var exported = Enumerable.Range(0, _optimizer.MomentCount).Select(layer.ExportMoment).ToArray();
                moments.AddRange(exported.Select(e => e.Weights));
                moments.AddRange(exported.Select(e => e.Biases));
            }
        return new MlpOptimizerState(_optimizer.Kind, _steps, moments);
    }

    void Import(MlpOptimizerState state)
    {
        state.CheckFits(_sizes, _optimizer);
        _steps = state.Steps;
        if (state.Moments.Count == 0) return;
        int k = _optimizer.MomentCount;
        for (int l = 0; l < _layers.Length; l++)
            _layers[l].ImportMoments(Enumerable.Range(0, k).Select(m => (state.Moment(2 * l, m, k), state.Moment(2 * l + 1, m, k))).ToArray());
    }

    /// <summary>Stops the team's threads; the weights are managed arrays, nothing native to release.</summary>
    public void Dispose() => _team.Dispose();

    /// <summary>The trained weights as plain arrays.</summary>
    public MlpNetwork ToNetwork() => new(_sizes, _layers.Select(l => l.WeightsOutByIn()).ToArray(), _layers.Select(l => l.Biases.Span[..l.Out].ToArray()).ToArray());
}
