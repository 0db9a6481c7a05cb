using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using MlNetMnist.DataViews;
using static TorchSharp.torch;

namespace MlNetMnist.Trainers.Fast;

/// <summary>
/// The lesson's model, loss and SGD with the backward pass written out (as <see cref="FusedMlp"/>), computed in
/// managed SIMD code instead of libtorch calls: at the lesson's batch of 50 a libtorch call costs more than the
/// arithmetic it launches. Each layer multiplies only the nonzero inputs of a row (MNIST pixels are about 80%
/// zero, ReLU outputs about half), so forward and weight update cost what the data holds, not 784 x 50 per row.
/// The arithmetic is the dense form's; only the order of float additions differs. A batch of
/// <see cref="SplitRows"/> or more is split between threads (see there); a smaller one runs on the caller's thread
/// alone, since splitting the rows of one step, or its columns, gained nothing at batch 50 on this 2-core machine.
/// Initialised exactly as <see cref="Nn.Sequential.Mlp"/> with the same generator.
/// </summary>
public sealed class ManagedMlp : ITrainableMlp
{
    readonly int[] _sizes;
    readonly Layer[] _layers;
    readonly float _learningRate, _momentum, _weightDecay;
    readonly bool _plainSgd;
    readonly Team _team;
    Scratch _scratch;
    Batch? _batch; // the batch in flight, read by every member of the team

    /// <param name="sizes">Input size, hidden sizes, class count.</param>
    /// <param name="learningRate">SGD step size.</param>
    /// <param name="momentum">SGD momentum, as torch.optim.SGD.</param>
    /// <param name="weightDecay">L2 penalty, as torch.optim.SGD.</param>
    /// <param name="generator">Source of the initial weights.</param>
    /// <param name="threads">Threads a large batch is split between, the caller's included; 0: two, or one on a single core.</param>
    public ManagedMlp(IReadOnlyList<int> sizes, float learningRate, float momentum = 0, float weightDecay = 0, Generator? generator = null, int threads = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        _sizes = sizes.ToArray();
        MlpNetwork initial;
        using (var model = Nn.Sequential.Mlp(_sizes, generator)) initial = MlpNetwork.Of(model);
        _plainSgd = momentum == 0 && weightDecay == 0;
        _layers = Enumerable.Range(0, _sizes.Length - 1)
            .Select(l => new Layer(initial.GetWeights(l), initial.GetBiases(l), _sizes[l], _sizes[l + 1], withGradients: !_plainSgd))
            .ToArray();
        (_learningRate, _momentum, _weightDecay) = (learningRate, momentum, weightDecay);
        _scratch = new Scratch(0, _layers);
        _team = new Team(threads > 0 ? threads : Math.Min(2, Environment.ProcessorCount), Work);
        foreach (var layer in _layers) layer.MakeShares(_team.Size);
    }

    /// <summary>Threads a large batch is split between, the caller's included.</summary>
    public int Threads => _team.Size;

    // The step's methods and kernels are optimised from their first call: a step runs a thousand times an epoch,
    // and the runtime's first tiers (and TensorPrimitives' precompiled code) made the first epochs 30% slower.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public double TrainBatch(Batch batch)
    {
        Begin(batch);
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
            foreach (var layer in _layers) layer.Step(_learningRate, _momentum, _weightDecay);
        _batch = null;
        return _scratch.LossSum(batch.Size) / batch.Size;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public (double LossSum, int Correct) EvaluateBatch(Batch batch)
    {
        Begin(batch);
        if (Split(batch.Size)) _team.Run(ScoreShare);
        else Score(0, batch.Size);
        _batch = null;
        return (_scratch.LossSum(batch.Size), _scratch.CorrectCount(batch.Size));
    }

    // Phases of a split step, run by every member of the team on its share.
    const int TrainShare = 0, AddShares = 1, ScoreShare = 2;

    /// <summary>
    /// Batches of this many rows or more are split between the threads: each runs the whole step on its own rows,
    /// its weight gradient going to a buffer of its own, and then each adds a share of the weight rows from every
    /// buffer. Below it that sum and the hand-offs cost more than the halved step saves (batch 50: no gain).
    /// </summary>
    public const int SplitRows = 128;

    bool Split(int rows) => _team.Size > 1 && rows >= SplitRows;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void Work(int phase, int member)
    {
        int n = _batch!.Size, size = _team.Size;
        int from = member * n / size, to = (member + 1) * n / size;
        switch (phase)
        {
            case TrainShare:
                Train(from, to, shareOf: member);
                break;
            case ScoreShare:
                Score(from, to);
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
        var labels = _batch!.Labels.Span;
        for (int r = from; r < to; r++)
        {
            s.RowLoss[r] = Kernels.CrossEntropyAndGradient(s.PaddedLogits(r), _layers[^1].Out, labels[r]);
            for (int l = _layers.Length - 1; l > 0; l--)
                Kernels.InputGradient(_layers[l], s.Gradient(l, r), s.Output(l - 1, r), s.Gradient(l - 1, r));
        }
        float scale = _plainSgd ? -_learningRate / _batch.Size : 1f / _batch.Size;
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    void Score(int from, int to)
    {
        var s = Forward(from, to);
        var labels = _batch!.Labels.Span;
        for (int r = from; r < to; r++)
        {
            var logits = s.Logits(r);
            s.RowLoss[r] = Kernels.CrossEntropy(logits, labels[r]);
            s.RowCorrect[r] = Kernels.IndexOfMax(logits) == labels[r];
        }
    }

    /// <summary>
    /// Asks for a row's cache lines ahead of its copy: a batch that is a view of the dataset's rows reads them from
    /// all over 60 MB, a cache miss per line (batch 512: an epoch 8% faster).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static unsafe void Prefetch(SparseRow row)
    {
        if (!Sse.IsSupported) return;
        fixed (int* positions = row.Positions)
        fixed (float* values = row.Values)
            for (int i = 0; i < row.Positions.Length; i += 64 / sizeof(int))
            {
                Sse.Prefetch0(positions + i);
                Sse.Prefetch0(values + i);
            }
    }

    /// <summary>Rows [from, to) through every layer: pre-activations, kept sparse after ReLU as the next layer's input; logits last.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    Scratch Forward(int from, int to)
    {
        var batch = _batch!;
        var s = _scratch;
        if (batch.Sparse is { } sparse)
            for (int r = from; r < to; r++)
            {
                if (r + 2 < to) Prefetch(sparse.Row(r + 2));
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

    /// <summary>
    /// Zeroed floats starting on a 64-byte boundary, so that no 512-bit load or store straddles two cache lines
    /// (an array's data starts 16 bytes into a line). Pinned, so the alignment holds.
    /// </summary>
    static Memory<float> Aligned(int length)
    {
        var array = GC.AllocateArray<float>(length + 15, pinned: true);
        long misalignment = Marshal.UnsafeAddrOfPinnedArrayElement(array, 0) % 64;
        return array.AsMemory((int)((64 - misalignment) % 64 / sizeof(float)), length);
    }

    /// <summary>Stops the team's threads; the weights are managed arrays, nothing native to release.</summary>
    public void Dispose() => _team.Dispose();

    /// <summary>The trained weights as plain arrays.</summary>
    public MlpNetwork ToNetwork() => new(_sizes, _layers.Select(l => l.WeightsOutByIn()).ToArray(), _layers.Select(l => l.Biases.Span[..l.Out].ToArray()).ToArray());

    /// <summary>
    /// One Linear layer, stored transposed: row k of <see cref="Weights"/> holds the weights from input k to every
    /// output, padded with zeros to <see cref="Width"/> (a whole number of 512-bit vectors).
    /// </summary>
    internal sealed class Layer
    {
        float[]? _weightMomentum, _biasMomentum;

        public Layer(float[] weightsOutByIn, float[] biases, int inputs, int outputs, bool withGradients)
        {
            (In, Out) = (inputs, outputs);
            Width = (outputs + Kernels.Lanes - 1) / Kernels.Lanes * Kernels.Lanes;
            Weights = Aligned(In * Width);
            var w = Weights.Span;
            for (int o = 0; o < Out; o++)
                for (int k = 0; k < In; k++)
                    w[k * Width + o] = weightsOutByIn[o * In + k];
            Biases = Aligned(Width);
            biases.CopyTo(Biases);
            InWidth = (inputs + Kernels.Lanes - 1) / Kernels.Lanes * Kernels.Lanes;
            Transposed = Aligned(Out * InWidth);
            if (withGradients)
            {
                WeightGradient = Aligned(Weights.Length);
                BiasGradient = Aligned(Width);
            }
        }

        public int In { get; }

        public int Out { get; }

        public int Width { get; }

        /// <summary><see cref="In"/> padded to whole vectors: the width of the layer below.</summary>
        public int InWidth { get; }

        /// <summary>[Out x InWidth]: the weights the other way round, for the gradient below; see <see cref="Transpose"/>.</summary>
        public Memory<float> Transposed { get; }

        /// <summary>Brings <see cref="Transposed"/> up to date with the weights (a few hundred values for an upper layer).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)] // every step
        public void Transpose()
        {
            var w = Weights.Span;
            var t = Transposed.Span;
            for (int k = 0; k < In; k++)
                for (int o = 0; o < Out; o++)
                    t[o * InWidth + k] = w[k * Width + o];
        }

        public Memory<float> Weights { get; }

        public Memory<float> Biases { get; }

        /// <summary>With momentum or weight decay only: the batch's gradient, stepped as torch.optim.SGD does.</summary>
        public Memory<float> WeightGradient { get; }

        public Memory<float> BiasGradient { get; }

        Memory<float>[] _weightShares = [], _biasShares = [];

        /// <summary>A weight and a bias gradient buffer for each member of a team of <paramref name="members"/> (none for one).</summary>
        public void MakeShares(int members)
        {
            if (members < 2) return;
            _weightShares = Enumerable.Range(0, members).Select(_ => Aligned(Weights.Length)).ToArray();
            _biasShares = Enumerable.Range(0, members).Select(_ => Aligned(Width)).ToArray();
        }

        /// <summary>Member <paramref name="member"/>'s gradient buffers: its rows' share of the batch's weight and bias gradients.</summary>
        public (Memory<float> Weights, Memory<float> Biases) Share(int member) => (_weightShares[member], _biasShares[member]);

        /// <summary>
        /// Adds every member's share of weight rows [<paramref name="from"/>, <paramref name="to"/>) into the weights
        /// (<paramref name="toWeights"/>) or writes their sum to the gradients, and zeroes the shares; the biases
        /// too with <paramref name="withBiases"/>.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void AddShares(int from, int to, bool toWeights, bool withBiases)
        {
            Kernels.AddShares(toWeights ? Weights.Span : WeightGradient.Span, _weightShares, from * Width, to * Width, toWeights);
            if (withBiases) Kernels.AddShares(toWeights ? Biases.Span : BiasGradient.Span, _biasShares, 0, Width, toWeights);
        }

        public void ClearGradients()
        {
            WeightGradient.Span.Clear();
            BiasGradient.Span.Clear();
        }

        /// <summary>torch.optim.SGD's step from the gradients: weight decay, momentum (first buffer = first gradient), p -= lr · g.</summary>
        public void Step(float learningRate, float momentum, float weightDecay)
        {
            Step(Weights.Span, WeightGradient.Span, ref _weightMomentum, learningRate, momentum, weightDecay);
            Step(Biases.Span, BiasGradient.Span, ref _biasMomentum, learningRate, momentum, weightDecay);
        }

        static void Step(Span<float> parameter, Span<float> gradient, ref float[]? buffer, float learningRate, float momentum, float weightDecay)
        {
            if (weightDecay != 0) TensorPrimitives.MultiplyAdd(parameter, weightDecay, gradient, gradient);
            if (momentum != 0)
            {
                if (buffer is null) buffer = gradient.ToArray();
                else TensorPrimitives.MultiplyAdd(buffer, momentum, gradient, buffer);
                gradient = buffer;
            }
            TensorPrimitives.MultiplyAdd(gradient, -learningRate, parameter, parameter);
        }

        public float[] WeightsOutByIn()
        {
            var w = Weights.Span;
            var weights = new float[Out * In];
            for (int o = 0; o < Out; o++)
                for (int k = 0; k < In; k++)
                    weights[o * In + k] = w[k * Width + o];
            return weights;
        }
    }

    /// <summary>Working memory for batches of up to <see cref="Rows"/> rows, kept between steps.</summary>
    sealed class Scratch
    {
        readonly Layer[] _layers;
        readonly Memory<float>[] _outputs;   // layer l: [rows x width]: pre-activations; logits for the last
        readonly Memory<float>[] _gradients; // layer l: d loss / d pre-activation, [rows x width]

        public Scratch(int rows, Layer[] layers)
        {
            Rows = rows;
            _layers = layers;
            _outputs = layers.Select(layer => Aligned(rows * layer.Width)).ToArray();
            // The last layer's gradient is computed in place of its logits.
            _gradients = layers.Select((layer, l) => l == layers.Length - 1 ? _outputs[l] : Aligned(rows * layer.Width)).ToArray();
            Inputs = layers.Select(layer => new SparseRows(rows, layer.In)).ToArray();
            RowLoss = new double[rows];
            RowCorrect = new bool[rows];
        }

        /// <summary>Each row's loss, written by whichever thread has the row.</summary>
        public double[] RowLoss { get; }

        /// <summary>Whether each row's prediction was right (evaluation).</summary>
        public bool[] RowCorrect { get; }

        public double LossSum(int rows)
        {
            double sum = 0;
            for (int r = 0; r < rows; r++) sum += RowLoss[r];
            return sum;
        }

        public int CorrectCount(int rows) => RowCorrect.AsSpan(0, rows).Count(true);

        public int Rows { get; }

        /// <summary>Layer l's input rows, sparse: the batch's features for the first, the ReLU of the layer below after.</summary>
        public SparseRows[] Inputs { get; }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Span<float> Outputs(int layer) => _outputs[layer].Span;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Span<float> Logits(int row) => _outputs[^1].Span.Slice(row * _layers[^1].Width, _layers[^1].Out);

        /// <summary>Row <paramref name="row"/>'s logits with the padding to the layer's width.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Span<float> PaddedLogits(int row) => _outputs[^1].Span.Slice(row * _layers[^1].Width, _layers[^1].Width);

        /// <summary>Row <paramref name="row"/>'s pre-activations in layer <paramref name="layer"/>, padded.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Span<float> Output(int layer, int row) => _outputs[layer].Span.Slice(row * _layers[layer].Width, _layers[layer].Width);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Span<float> Gradients(int layer) => _gradients[layer].Span;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public Span<float> Gradient(int layer, int row) => _gradients[layer].Span.Slice(row * _layers[layer].Width, _layers[layer].Width);
    }
}
