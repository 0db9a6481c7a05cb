using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace MlNetMnist.Trainers.Models;

/// <summary>
/// A trained multi-layer perceptron as plain arrays: Linear layers with ReLU between them and a softmax
/// at the end. This is what the model zip stores; <see cref="Engines.Managed.MlpScorer"/> scores rows with it in
/// managed code, so that a loaded model needs no native library.
/// </summary>
public sealed class MlpNetwork
{
    readonly int[] _sizes;
    readonly float[][] _weights; // layer l: [sizes[l+1] x sizes[l]], row-major, as PyTorch's Linear.weight
    readonly float[][] _biases;  // layer l: [sizes[l+1]]

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
    /// The same network with its outputs mapped y -> <paramref name="scale"/>·y + <paramref name="shift"/>, folded into
    /// the last layer's weights and biases: how a regression trained on a standardised label scores raw ones.
    /// </summary>
    public MlpNetwork WithOutputAffine(float scale, float shift)
    {
        var weights = _weights.Select(w => (float[])w.Clone()).ToArray();
        var biases = _biases.Select(b => (float[])b.Clone()).ToArray();
        TensorPrimitives.Multiply(weights[^1], scale, weights[^1]);
        var last = biases[^1];
        for (int i = 0; i < last.Length; i++) last[i] = last[i] * scale + shift;
        return new MlpNetwork(_sizes, weights, biases);
    }

    /// <summary>
    /// SHA-256 of the weights alone, lower-case hex, so that two models can be compared whatever their history, timings
    /// or recipe. The bytes hashed are the layout the model zip stores the network in, all little-endian: int32 the
    /// number of layer sizes n, int32[n] the sizes (input, hidden..., classes), then per layer its weight as float32
    /// [out x in] row-major (PyTorch's Linear.weight) followed by its bias float32[out]. Bit patterns are hashed as
    /// they are: -0 and 0 differ.
    /// </summary>
    public string WeightsSha256()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using (var writer = new BinaryWriter(new HashStream(hash)))
            Write(writer);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>A write-only stream that feeds a hash, so the layout is written once, by <see cref="MlpNetwork.Write(BinaryWriter)"/>.</summary>
    sealed class HashStream(IncrementalHash hash) : Stream
    {
        public override void Write(ReadOnlySpan<byte> buffer) => hash.AppendData(buffer);
        public override void Write(byte[] buffer, int offset, int count) => hash.AppendData(buffer, offset, count);
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }

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

    static bool AllFinite(ReadOnlySpan<float> values)
    {
        if (float.IsFinite(TensorPrimitives.Sum(values))) return true; // one vectorised pass for the usual case
        foreach (float v in values)
            if (!float.IsFinite(v)) return false;
        return true;
    }
}
