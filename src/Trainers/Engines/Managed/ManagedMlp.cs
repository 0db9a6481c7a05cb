using System.Numerics.Tensors;
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
/// <see cref="SplitRows"/> or more is split between threads by rows (see there); in a smaller one, with an optimizer
/// that keeps moments, the threads share the input rows of each layer of 32k weights or more (<see cref="ForwardInShares"/>);
/// the rest runs on the caller's thread.
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
    readonly bool[] _sharedLayers; // per layer: whether a batch too small to split by rows splits the layer's input rows between the team
    readonly bool _sharesLayers; // whether any layer is so split
    int _phaseLayer; // the layer a per-layer phase works on

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
        _team = new Team(threads > 0 ? threads : Math.Min(2, Environment.ProcessorCount), Work);
        _scratch = new Scratch(0, _layers, _team.Size);
        _sharedLayers = _layers.Select(layer => _team.Size > 1 && (long)layer.In * layer.Width >= SplitStepWeights).ToArray();
        _sharesLayers = _sharedLayers.Contains(true);
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
        if (!_plainSgd)
            for (int l = 0; l < _layers.Length; l++) _freshMomentum[l] = _layers[l].EnsureMoments(_optimizer, _momentum);
        if (Split(batch.Size))
        {
            _team.Run(TrainShare);
            _team.Run(AddShares);
            if (!_plainSgd && _weightCount >= SplitStepWeights) _team.Run(StepShare);
            else if (!_plainSgd)
                for (int l = 0; l < _layers.Length; l++)
                    _layers[l].Step(_optimizer, _learningRate, _momentum, _steps, 0, _layers[l].In, withBiases: true, _freshMomentum[l]);
        }
        else
        {
            // Plain SGD's step is the gradient added into the weights, too little to be worth the hand-offs; the
            // optimizers that keep moments read and write them for every weight, which two cores share better.
            if (_sharesLayers && !_plainSgd)
            {
                ForwardInShares(batch.Size);
                Backward(0, batch.Size);
                _team.Run(GradientStepShare);
            }
            else
            {
                Forward(0, batch.Size);
                Backward(0, batch.Size);
                GradientAndStep(0, 1);
            }
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
    const int TrainShare = 0, AddShares = 1, ScoreShare = 2, StepShare = 3, ForwardShare = 4, GradientStepShare = 5, ReadShare = 6;

    /// <summary>
    /// The weight gradients and the optimizer's step of a batch not split by rows are split between the threads, each
    /// taking a share of every layer's weight rows, from this many weights: Adam reads and writes three arrays of them,
    /// and one thread's pass through them costs more than a hand-off.
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
                Train(from, to, member);
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
            case ForwardShare:
                var (first, last) = InputRowsOf(_phaseLayer, member, size);
                Kernels.Forward(_layers[_phaseLayer], _scratch.Inputs[_phaseLayer], 0, n, member == 0 ? _scratch.Outputs(_phaseLayer) : _scratch.Partial(member),
                    first, last);
                break;
            case GradientStepShare:
                GradientAndStep(member, size);
                break;
            case ReadShare:
                ReadInputs(from, to);
                break;
        }
    }

    void Begin(Batch batch)
    {
        if (batch.FeatureCount != _sizes[0])
            throw new ArgumentException($"Batch {batch.Index} has {batch.FeatureCount} features; the model takes {_sizes[0]}.", nameof(batch));
        if (_scratch.Rows < batch.Size) _scratch = new Scratch(batch.Size, _layers, _team.Size);
        _batch = batch;
    }

    /// <summary>
    /// Rows [from, to) forward, their loss and backward, and their weight and bias gradients into member
    /// <paramref name="shareOf"/>'s share of the batch's (which plain SGD then adds into the weights, scaled by -lr).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void Train(int from, int to, int shareOf)
    {
        Forward(from, to);
        Backward(from, to);
        var s = _scratch;
        for (int l = 0; l < _layers.Length; l++)
        {
            var layer = _layers[l];
            var (weights, biases) = layer.Share(shareOf);
            Kernels.AddWeightGradient(weights.Span, layer.Width, layer.Out, s.Inputs[l], s.Gradients(l), from, to, GradientScale);
            Kernels.AddColumnSums(biases.Span, s.Gradients(l), from, to, GradientScale);
        }
    }

    /// <summary>
    /// What a row's gradient is scaled by: the weighted mean's (the plain mean's when no row has a weight), or for plain
    /// SGD that times -lr, added straight into the weights; when no row counts, 0.
    /// </summary>
    float GradientScale => !(_weightSum > 0) ? 0 : _plainSgd ? -LearningRate / _weightSum : 1f / _weightSum;

    /// <summary>Rows [from, to)'s loss, and the gradient of each layer's pre-activations.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void Backward(int from, int to)
    {
        var s = _scratch;
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
    }

    /// <summary>
    /// Member <paramref name="member"/> of <paramref name="members"/>'s input rows of layer <paramref name="l"/> in a batch
    /// too small to split by rows: an even share of a layer split between the team, all of another for member 0.
    /// </summary>
    (int First, int Last) InputRowsOf(int l, int member, int members)
    {
        int inputs = _layers[l].In;
        if (members > 1 && _sharedLayers[l]) return (member * inputs / members, (member + 1) * inputs / members);
        return member == 0 ? (0, inputs) : (0, 0);
    }

    /// <summary>
    /// All rows of a batch too small to split by rows forward, each layer split between the team by its input rows
    /// (<see cref="InputRowsOf"/>): each member sums the products of its share of the inputs, and the parts are added.
    /// A member reads only the weight rows it steps (<see cref="GradientAndStep"/>), so that the rows, their
    /// gradients and moments stay in one core's cache from step to step.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void ForwardInShares(int rows)
    {
        var s = _scratch;
        _team.Run(ReadShare); // the rows come from all over the dataset, a cache miss a line: two cores wait for them in parallel
        for (int l = 0; l < _layers.Length; l++)
        {
            var layer = _layers[l];
            if (_sharedLayers[l])
            {
                _phaseLayer = l;
                _team.Run(ForwardShare);
                var outputs = s.Outputs(l)[..(rows * layer.Width)];
                for (int m = 1; m < _team.Size; m++) TensorPrimitives.Add(outputs, s.Partial(m)[..outputs.Length], outputs);
            }
            else Kernels.Forward(layer, s.Inputs[l], 0, rows, s.Outputs(l));
            if (l < _layers.Length - 1) Relu(l, 0, rows);
        }
    }

    /// <summary>
    /// Member <paramref name="member"/> of <paramref name="members"/>: the gradient of its input rows of every layer's
    /// weights (<see cref="InputRowsOf"/>) over the whole batch, a tile of rows at a time in a buffer the core's L2
    /// cache holds, each tile stepped by the optimizer as soon as it is summed (plain SGD adds into the weights
    /// directly); member 0 the biases too. No gradient of a whole layer is written to memory shared by the cores.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void GradientAndStep(int member, int members)
    {
        int rows = _batch!.Size;
        var s = _scratch;
        var (tileMemory, cursors, ends) = s.Tile(member);
        var tile = tileMemory.Span;
        for (int l = 0; l < _layers.Length; l++)
        {
            var layer = _layers[l];
            var (first, last) = InputRowsOf(l, member, members);
            if (_plainSgd && first == 0 && last == layer.In)
                Kernels.AddWeightGradient(layer.Weights.Span, layer.Width, layer.Out, s.Inputs[l], s.Gradients(l), 0, rows, GradientScale);
            else
                GradientAndStepRows(l, first, last, tile, cursors, ends);
            if (member != 0) continue;
            if (!_plainSgd) layer.BiasGradient.Span.Clear();
            Kernels.AddColumnSums(_plainSgd ? layer.Biases.Span : layer.BiasGradient.Span, s.Gradients(l), 0, rows, GradientScale);
            if (!_plainSgd) layer.Step(_optimizer, _learningRate, _momentum, _steps, 0, 0, withBiases: true, _freshMomentum[l]);
        }
    }

    /// <summary>Weight rows [first, last) of layer <paramref name="l"/>: their gradient a tile at a time, each tile stepped at once (plain SGD: added into them).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void GradientAndStepRows(int l, int first, int last, Span<float> tile, int[] cursors, int[] ends)
    {
        var s = _scratch;
        var layer = _layers[l];
        int rows = _batch!.Size, tileRows = tile.Length / layer.Width;
        for (int r = 0; r < rows && first < last; r++) cursors[r] = s.Inputs[l].EntryAtOrAfter(r, first);
        for (int from = first; from < last; from += tileRows)
        {
            int to = Math.Min(last, from + tileRows);
            var target = _plainSgd ? layer.Weights.Span.Slice(from * layer.Width, (to - from) * layer.Width) : tile[..((to - from) * layer.Width)];
            if (!_plainSgd) target.Clear();
            Kernels.AddWeightGradientRows(target, layer.Width, layer.Out, s.Inputs[l], s.Gradients(l), 0, rows, GradientScale, from, to, cursors, ends);
            if (!_plainSgd) layer.Step(_optimizer, _learningRate, _momentum, _steps, from, to, withBiases: false, _freshMomentum[l], target);
        }
    }

    /// <summary>Rows [from, to) through every layer: pre-activations, kept sparse after ReLU as the next layer's input; logits last.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    Scratch Forward(int from, int to)
    {
        var s = _scratch;
        ReadInputs(from, to);
        for (int l = 0; l < _layers.Length; l++)
        {
            Kernels.Forward(_layers[l], s.Inputs[l], from, to, s.Outputs(l));
            if (l < _layers.Length - 1) Relu(l, from, to);
        }
        return s;
    }

    /// <summary>Rows [from, to) of the batch as the first layer's sparse inputs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void ReadInputs(int from, int to)
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
    }

    /// <summary>Rows [from, to) of layer <paramref name="l"/>'s pre-activations through ReLU, as the next layer's sparse inputs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void Relu(int l, int from, int to)
    {
        var outputs = _scratch.Outputs(l);
        for (int r = from; r < to; r++)
            _scratch.Inputs[l + 1].Set(r, outputs.Slice(r * _layers[l].Width, _layers[l].Out), relu: true);
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
