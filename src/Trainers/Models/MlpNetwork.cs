using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MlNetMnist.Trainers.Models;

/// <summary>
/// A trained multi-layer perceptron as plain arrays: Linear layers with ReLU between them and a softmax
/// at the end. This is what the model zip stores and what scores rows, in managed code, so that a loaded
/// model needs no native library.
/// </summary>
public sealed class MlpNetwork
{
    readonly int[] _sizes;
    readonly float[][] _weights; // layer l: [sizes[l+1] x sizes[l]], row-major, as PyTorch's Linear.weight
    readonly float[][] _biases;  // layer l: [sizes[l+1]]
    readonly ScoringLayer[] _scoring; // the same layers laid out for Predict
    readonly int _width;              // widest padded layer output
    readonly int _scratch;            // Predict's scratch floats: two padded layer outputs and a layer input's nonzero positions

    /// <param name="layerSizes">Input size, each hidden size, class count: e.g. [784, 50, 10].</param>
    /// <param name="weights">One [out x in] row-major array per layer.</param>
    /// <param name="biases">One [out] array per layer.</param>
    public MlpNetwork(IReadOnlyList<int> layerSizes, IReadOnlyList<float[]> weights, IReadOnlyList<float[]> biases)
    {
        ArgumentNullException.ThrowIfNull(layerSizes);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(biases);
        if (layerSizes.Count < 2)
            throw new ArgumentException($"An MLP needs at least an input and an output size; got {layerSizes.Count} sizes.", nameof(layerSizes));
        for (int i = 0; i < layerSizes.Count; i++)
            if (layerSizes[i] <= 0)
                throw new ArgumentException($"Layer size {i} is {layerSizes[i]}; sizes must be positive.", nameof(layerSizes));
        int layers = layerSizes.Count - 1;
        if (weights.Count != layers || biases.Count != layers)
            throw new ArgumentException($"{layers} layers need {layers} weight and bias arrays; got {weights.Count} and {biases.Count}.");
        _sizes = layerSizes.ToArray();
        _weights = new float[layers][];
        _biases = new float[layers][];
        for (int l = 0; l < layers; l++)
        {
            int rows = _sizes[l + 1], cols = _sizes[l];
            if (weights[l]?.Length != rows * cols)
                throw new ArgumentException($"Layer {l} weights hold {weights[l]?.Length ?? 0} values, expected {rows} x {cols}.", nameof(weights));
            if (biases[l]?.Length != rows)
                throw new ArgumentException($"Layer {l} biases hold {biases[l]?.Length ?? 0} values, expected {rows}.", nameof(biases));
            if (!AllFinite(weights[l]) || !AllFinite(biases[l]))
                throw new ArgumentException($"Layer {l} holds NaN or infinite parameters (training diverged? try a lower learning rate).");
            _weights[l] = (float[])weights[l].Clone();
            _biases[l] = (float[])biases[l].Clone();
        }
        _scoring = Enumerable.Range(0, layers).Select(l => new ScoringLayer(_weights[l], _biases[l], _sizes[l], _sizes[l + 1])).ToArray();
        _width = _scoring.Max(s => s.Width);
        _scratch = 2 * _width + _sizes[..^1].Max() + 16;
    }

    /// <summary>Input size, hidden sizes, class count.</summary>
    public IReadOnlyList<int> LayerSizes => _sizes;

    /// <summary>Number of Linear layers.</summary>
    public int LayerCount => _weights.Length;

    public int InputSize => _sizes[0];

    public int ClassCount => _sizes[^1];

    /// <summary>Weights and biases in all.</summary>
    public long ParameterCount => _weights.Sum(w => (long)w.Length) + _biases.Sum(b => (long)b.Length);

    /// <summary>A copy of layer <paramref name="layer"/>'s weight, [out x in] row-major.</summary>
    public float[] GetWeights(int layer) => (float[])_weights[layer].Clone();

    /// <summary>A copy of layer <paramref name="layer"/>'s bias.</summary>
    public float[] GetBiases(int layer) => (float[])_biases[layer].Clone();

    /// <summary>
    /// Class probabilities of one row: each unit is its bias plus, input by input in ascending order, one fused
    /// multiply-add (zero inputs, which add nothing, are skipped), ReLU between layers, and a softmax.
    /// Thread-safe: scratch space is per call. Stable for any finite features (the
    /// softmax subtracts the largest logit first). A row with a NaN or infinite feature, or whose logits overflow
    /// float, gets NaN probabilities: ML.NET's convention for a row it cannot score, whose PredictedLabel is then
    /// missing (key 0) rather than some class.
    /// </summary>
    public void Predict(ReadOnlySpan<float> features, Span<float> probabilities) => Predict(features, probabilities, softmax: true);

    [SkipLocalsInit] // the scratch is written before it is read: zeroing it cost a sixth of a row
    void Predict(ReadOnlySpan<float> features, Span<float> probabilities, bool softmax)
    {
        if (features.Length != InputSize)
            throw new ArgumentException($"Expected {InputSize} features, got {features.Length}.", nameof(features));
        if (probabilities.Length != ClassCount)
            throw new ArgumentException($"Expected room for {ClassCount} probabilities, got {probabilities.Length}.", nameof(probabilities));
        float[]? rented = null;
        Span<float> scratch = _scratch <= 4096 ? stackalloc float[_scratch] : (rented = ArrayPool<float>.Shared.Rent(_scratch));
        try
        {
            Span<float> a = scratch[.._width], b = scratch.Slice(_width, _width);
            var nonzero = MemoryMarshal.Cast<float, int>(scratch[(2 * _width)..]);
            int count = ScoringLayer.FindNonzero(features, nonzero, out bool finite);
            if (!finite)
            {
                probabilities.Fill(float.NaN);
                return;
            }
            scoped ReadOnlySpan<float> input = features;
            for (int l = 0; l < LayerCount; l++)
            {
                var layer = _scoring[l];
                if (l > 0) count = ScoringLayer.FindNonzero(input, nonzero, out _);
                Span<float> output = l % 2 == 0 ? a : b;
                layer.Forward(input, nonzero[..count], output, relu: l < LayerCount - 1);
                input = output[..layer.Out];
            }
            input.CopyTo(probabilities);
            if (softmax) SoftMax(probabilities);
        }
        finally
        {
            if (rented != null) ArrayPool<float>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// The same network with its outputs mapped y -> <paramref name="scale"/>·y + <paramref name="shift"/>, folded into
    /// the last layer's weights and biases: how a regression trained on a standardised label scores raw ones.
    /// </summary>
    public MlpNetwork WithOutputAffine(float scale, float shift)
    {
        var weights = _weights.Select(w => (float[])w.Clone()).ToArray();
        var biases = _biases.Select(b => (float[])b.Clone()).ToArray();
        System.Numerics.Tensors.TensorPrimitives.Multiply(weights[^1], scale, weights[^1]);
        var last = biases[^1];
        for (int i = 0; i < last.Length; i++) last[i] = last[i] * scale + shift;
        return new MlpNetwork(_sizes, weights, biases);
    }

    /// <summary>
    /// The raw outputs of one row (the last layer's, no softmax): a regression's prediction or a binary classifier's
    /// logit. Arithmetic as <see cref="Predict(ReadOnlySpan{float}, Span{float})"/>'s; a row with a NaN or infinite feature gets NaN.
    /// </summary>
    public void Forward(ReadOnlySpan<float> features, Span<float> outputs) => Predict(features, outputs, softmax: false);

    internal void Write(BinaryWriter writer)
    {
        writer.Write(_sizes.Length);
        foreach (int size in _sizes) writer.Write(size);
        for (int l = 0; l < LayerCount; l++)
        {
            WriteFloats(writer, _weights[l]);
            WriteFloats(writer, _biases[l]);
        }
    }

    /// <summary>Reads what <see cref="Write"/> wrote; <paramref name="where"/> names the source in errors.</summary>
    internal static MlpNetwork Read(BinaryReader reader, string where)
    {
        int count = reader.ReadInt32();
        if (count < 2 || count > 1024)
            throw new InvalidDataException($"{where}: {count} layer sizes is not a valid MLP shape.");
        var sizes = new int[count];
        for (int i = 0; i < count; i++)
        {
            sizes[i] = reader.ReadInt32();
            if (sizes[i] <= 0 || sizes[i] > 1 << 24)
                throw new InvalidDataException($"{where}: layer size {i} is {sizes[i]}.");
        }
        var weights = new float[count - 1][];
        var biases = new float[count - 1][];
        for (int l = 0; l < count - 1; l++)
        {
            long values = (long)sizes[l + 1] * sizes[l];
            if (values > Array.MaxLength)
                throw new InvalidDataException($"{where}: layer {l} of {sizes[l]} x {sizes[l + 1]} holds more weights than an array can.");
            weights[l] = ReadFloats(reader, (int)values, where);
            biases[l] = ReadFloats(reader, sizes[l + 1], where);
        }
        return new MlpNetwork(sizes, weights, biases);
    }

    internal static void WriteFloats(BinaryWriter writer, float[] values) =>
        writer.Write(MemoryMarshal.AsBytes(values.AsSpan()));

    internal static float[] ReadFloats(BinaryReader reader, int count, string where)
    {
        // A damaged size must not allocate gigabytes for weights the file does not hold.
        if (reader.BaseStream.CanSeek && reader.BaseStream.Length - reader.BaseStream.Position < 4L * count)
            throw new InvalidDataException($"{where}: the weights end early (truncated model): {count} values announced, " +
                                           $"{reader.BaseStream.Length - reader.BaseStream.Position} bytes left.");
        var values = new float[count];
        var bytes = MemoryMarshal.AsBytes(values.AsSpan());
        for (int done = 0; done < bytes.Length;)
        {
            int read = reader.Read(bytes[done..]); // a zip entry's stream may return less than asked
            if (read == 0)
                throw new InvalidDataException($"{where}: the weights end early (truncated model).");
            done += read;
        }
        return values;
    }

    /// <summary>
    /// Softmax in place with the largest logit subtracted, so exp never overflows (TensorPrimitives.SoftMax does not
    /// subtract it: logits above 88 gave NaN). A NaN or +infinite logit gives NaN everywhere.
    /// </summary>
    static void SoftMax(Span<float> logits)
    {
        float max = TensorPrimitives.Max(logits); // NaN when any logit is NaN
        if (!float.IsFinite(max))
        {
            logits.Fill(float.NaN);
            return;
        }
        TensorPrimitives.Subtract(logits, max, logits);
        TensorPrimitives.Exp(logits, logits);
        TensorPrimitives.Divide(logits, TensorPrimitives.Sum(logits), logits); // the sum is at least exp(0) = 1
    }

    static bool AllFinite(ReadOnlySpan<float> values)
    {
        if (float.IsFinite(TensorPrimitives.Sum(values))) return true; // one vectorised pass for the usual case
        foreach (float v in values)
            if (!float.IsFinite(v)) return false;
        return true;
    }
}
