using System.Numerics.Tensors;
using MlNetMnist.DataViews;
using static TorchSharp.torch;

namespace MlNetMnist.Trainers.Fast;

/// <summary>
/// The lesson's model, loss and SGD with the backward pass written out (as <see cref="FusedMlp"/>), computed in
/// managed SIMD code instead of libtorch calls: at the lesson's batch of 50 a libtorch call costs more than the
/// arithmetic it launches. Each layer multiplies only the nonzero inputs of a row (MNIST pixels are about 80%
/// zero, ReLU outputs about half), so forward and weight update cost what the data holds, not 784 x 50 per row.
/// The arithmetic is the dense form's; only the order of float additions differs. A step runs on up to
/// <c>threads</c> cores: rows are split for forward and backward, weight rows for the update, so every value is
/// computed by one thread in one order and the result does not depend on the thread count.
/// Initialised exactly as <see cref="Nn.Sequential.Mlp"/> with the same generator.
/// </summary>
public sealed class ManagedMlp : ITrainableMlp
{
    const int MinRowsPerThread = 16;

    readonly int[] _sizes;
    readonly Layer[] _layers;
    readonly float _learningRate, _momentum, _weightDecay;
    readonly bool _plainSgd;
    readonly Crew _crew;
    readonly Action<int> _trainRows, _evaluateRows, _addWeightGradients; // made once: a step allocates nothing
    Scratch _scratch;
    Batch? _batch;
    int _parts;

    /// <param name="sizes">Input size, hidden sizes, class count.</param>
    /// <param name="learningRate">SGD step size.</param>
    /// <param name="momentum">SGD momentum, as torch.optim.SGD.</param>
    /// <param name="weightDecay">L2 penalty, as torch.optim.SGD.</param>
    /// <param name="generator">Source of the initial weights.</param>
    /// <param name="threads">Cores a step may use; null: all of them.</param>
    public ManagedMlp(IReadOnlyList<int> sizes, float learningRate, float momentum = 0, float weightDecay = 0, Generator? generator = null, int? threads = null)
    {
        _sizes = sizes.ToArray();
        MlpNetwork initial;
        using (var model = Nn.Sequential.Mlp(_sizes, generator)) initial = MlpNetwork.Of(model);
        _plainSgd = momentum == 0 && weightDecay == 0;
        _layers = Enumerable.Range(0, _sizes.Length - 1)
            .Select(l => new Layer(initial.GetWeights(l), initial.GetBiases(l), _sizes[l], _sizes[l + 1], withGradients: !_plainSgd))
            .ToArray();
        (_learningRate, _momentum, _weightDecay) = (learningRate, momentum, weightDecay);
        _crew = new Crew(threads ?? Environment.ProcessorCount);
        _scratch = new Scratch(0, _layers);
        _trainRows = TrainRows;
        _evaluateRows = EvaluateRows;
        _addWeightGradients = AddWeightGradients;
    }

    public double TrainBatch(Batch batch)
    {
        var s = Start(batch);
        _crew.Run(_parts, _trainRows);
        if (!_plainSgd)
            foreach (var layer in _layers) layer.ClearGradients();
        _crew.Run(_parts, _addWeightGradients);
        float scale = GradientScale(batch.Size);
        for (int l = 0; l < _layers.Length; l++)
        {
            var layer = _layers[l];
            var biases = _plainSgd ? layer.Biases : layer.BiasGradient!;
            for (int r = 0; r < batch.Size; r++) TensorPrimitives.MultiplyAdd(s.Gradient(l, r), scale, biases, biases);
            if (!_plainSgd) layer.Step(_learningRate, _momentum, _weightDecay);
        }
        _batch = null;
        return TensorPrimitives.Sum(s.RowLoss.AsSpan(0, batch.Size)) / batch.Size;
    }

    public (double LossSum, int Correct) EvaluateBatch(Batch batch)
    {
        var s = Start(batch);
        _crew.Run(_parts, _evaluateRows);
        _batch = null;
        return (TensorPrimitives.Sum(s.RowLoss.AsSpan(0, batch.Size)), s.RowCorrect.AsSpan(0, batch.Size).Count(true));
    }

    /// <summary>Plain SGD adds the weight gradient straight into the weights, scaled by -lr/n; otherwise it is the mean.</summary>
    float GradientScale(int rows) => _plainSgd ? -_learningRate / rows : 1f / rows;

    /// <summary>One part's rows: forward, loss, and the gradient of every layer's pre-activation.</summary>
    void TrainRows(int part)
    {
        var (batch, s, first, last) = Rows(part);
        Forward(batch, s, first, last);
        for (int r = first; r < last; r++)
            s.RowLoss[r] = Kernels.CrossEntropyAndGradient(s.Logits(r), batch.Labels.Span[r]);
        // The gradient for the layer below uses this layer's weights before the update.
        for (int l = _layers.Length - 1; l > 0; l--)
            for (int r = first; r < last; r++)
                Kernels.InputGradient(_layers[l], s.Gradient(l, r), s.Input(l, r), s.Nonzeros[l].Row(r), s.Gradient(l - 1, r));
    }

    void EvaluateRows(int part)
    {
        var (batch, s, first, last) = Rows(part);
        Forward(batch, s, first, last);
        for (int r = first; r < last; r++)
        {
            var logits = s.Logits(r);
            int label = batch.Labels.Span[r];
            s.RowLoss[r] = Kernels.CrossEntropy(logits, label);
            s.RowCorrect[r] = TensorPrimitives.IndexOfMax(logits) == label;
        }
    }

    /// <summary>One part's blocks of weight rows, over every row of the batch.</summary>
    void AddWeightGradients(int part)
    {
        var batch = _batch!;
        var s = _scratch;
        float scale = GradientScale(batch.Size);
        for (int l = 0; l < _layers.Length; l++)
        {
            var layer = _layers[l];
            var (inputs, stride) = s.Inputs(l, batch);
            Kernels.AddWeightGradient(_plainSgd ? layer.Weights : layer.WeightGradient!, layer, inputs.Span, stride, s.Nonzeros[l],
                s.Gradients(l), batch.Size, scale, part, _parts);
        }
    }

    (Batch Batch, Scratch Scratch, int First, int Last) Rows(int part)
    {
        int rows = _batch!.Size;
        return (_batch, _scratch, rows * part / _parts, rows * (part + 1) / _parts);
    }

    Scratch Start(Batch batch)
    {
        if (batch.FeatureCount != _sizes[0])
            throw new ArgumentException($"Batch {batch.Index} has {batch.FeatureCount} features; the model takes {_sizes[0]}.", nameof(batch));
        if (_scratch.Rows < batch.Size) _scratch = new Scratch(batch.Size, _layers);
        _batch = batch;
        // Fewer rows than this per thread and another thread costs more than it saves.
        _parts = Math.Clamp(batch.Size / MinRowsPerThread, 1, _crew.Size);
        return _scratch;
    }

    /// <summary>Rows [first, last) through every layer: pre-activations, ReLU between layers, logits last.</summary>
    void Forward(Batch batch, Scratch s, int first, int last)
    {
        for (int l = 0; l < _layers.Length; l++)
        {
            var layer = _layers[l];
            var (rows, stride) = s.Inputs(l, batch);
            var inputs = rows.Span;
            var nonzeros = s.Nonzeros[l];
            for (int r = first; r < last; r++)
                nonzeros.Find(r, inputs.Slice(r * stride, layer.In));
            var outputs = s.Outputs(l);
            Kernels.Forward(layer, inputs, stride, nonzeros, first, last, outputs);
            if (l < _layers.Length - 1)
            {
                var hidden = outputs[(first * layer.Width)..(last * layer.Width)];
                TensorPrimitives.Max(hidden, 0f, hidden); // ReLU
            }
        }
    }

    /// <summary>Stops the step threads; the weights are managed arrays, nothing native to release.</summary>
    public void Dispose() => _crew.Dispose();

    /// <summary>The trained weights as plain arrays.</summary>
    public MlpNetwork ToNetwork() => new(_sizes, _layers.Select(l => l.WeightsOutByIn()).ToArray(), _layers.Select(l => l.Biases[..l.Out]).ToArray());

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
            Weights = new float[In * Width];
            for (int o = 0; o < Out; o++)
                for (int k = 0; k < In; k++)
                    Weights[k * Width + o] = weightsOutByIn[o * In + k];
            Biases = new float[Width];
            biases.CopyTo(Biases, 0);
            if (withGradients)
            {
                WeightGradient = new float[Weights.Length];
                BiasGradient = new float[Width];
            }
        }

        public int In { get; }

        public int Out { get; }

        public int Width { get; }

        public float[] Weights { get; }

        public float[] Biases { get; }

        public float[]? WeightGradient { get; }

        public float[]? BiasGradient { get; }

        public void ClearGradients()
        {
            Array.Clear(WeightGradient!);
            Array.Clear(BiasGradient!);
        }

        /// <summary>torch.optim.SGD's step from the gradients: weight decay, momentum (first buffer = first gradient), p -= lr · g.</summary>
        public void Step(float learningRate, float momentum, float weightDecay)
        {
            Step(Weights, WeightGradient!, ref _weightMomentum, learningRate, momentum, weightDecay);
            Step(Biases, BiasGradient!, ref _biasMomentum, learningRate, momentum, weightDecay);
        }

        static void Step(float[] parameter, float[] gradient, ref float[]? buffer, float learningRate, float momentum, float weightDecay)
        {
            if (weightDecay != 0) TensorPrimitives.MultiplyAdd(parameter, weightDecay, gradient, gradient);
            if (momentum != 0)
            {
                if (buffer is null) buffer = (float[])gradient.Clone();
                else TensorPrimitives.MultiplyAdd(buffer, momentum, gradient, buffer);
                gradient = buffer;
            }
            TensorPrimitives.MultiplyAdd(gradient, -learningRate, parameter, parameter);
        }

        public float[] WeightsOutByIn()
        {
            var weights = new float[Out * In];
            for (int o = 0; o < Out; o++)
                for (int k = 0; k < In; k++)
                    weights[o * In + k] = Weights[k * Width + o];
            return weights;
        }
    }

    /// <summary>Working memory for batches of up to <see cref="Rows"/> rows, kept between steps.</summary>
    sealed class Scratch
    {
        readonly Layer[] _layers;
        readonly float[][] _outputs;   // layer l: [rows x width]: ReLU outputs (the next layer's inputs), logits for the last
        readonly float[][] _gradients; // layer l: d loss / d pre-activation, [rows x width]

        public Scratch(int rows, Layer[] layers)
        {
            Rows = rows;
            _layers = layers;
            _outputs = layers.Select(layer => new float[rows * layer.Width]).ToArray();
            // The last layer's gradient is computed in place of its logits.
            _gradients = layers.Select((layer, l) => l == layers.Length - 1 ? _outputs[l] : new float[rows * layer.Width]).ToArray();
            Nonzeros = layers.Select(layer => new NonzeroRows(rows, layer.In)).ToArray();
            RowLoss = new float[rows];
            RowCorrect = new bool[rows];
        }

        public int Rows { get; }

        public NonzeroRows[] Nonzeros { get; }

        public float[] RowLoss { get; }

        public bool[] RowCorrect { get; }

        /// <summary>Layer <paramref name="layer"/>'s input rows and their stride: the batch for the first layer.</summary>
        public (ReadOnlyMemory<float> Rows, int Stride) Inputs(int layer, Batch batch) =>
            layer == 0 ? (batch.Features, batch.FeatureCount) : (_outputs[layer - 1], _layers[layer - 1].Width);

        public Span<float> Input(int layer, int row) => _outputs[layer - 1].AsSpan(row * _layers[layer - 1].Width, _layers[layer].In);

        public Span<float> Outputs(int layer) => _outputs[layer];

        public Span<float> Logits(int row) => _outputs[^1].AsSpan(row * _layers[^1].Width, _layers[^1].Out);

        public Span<float> Gradients(int layer) => _gradients[layer];

        public Span<float> Gradient(int layer, int row) => _gradients[layer].AsSpan(row * _layers[layer].Width, _layers[layer].Width);
    }
}
