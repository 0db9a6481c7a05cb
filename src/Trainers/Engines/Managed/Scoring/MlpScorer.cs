using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MlNetMnist.Trainers.Models;

namespace MlNetMnist.Trainers.Engines.Managed;

/// <summary>
/// Scores rows with an <see cref="MlpNetwork"/>: its layers laid out for one row at a time (<see cref="ScoringLayer"/>),
/// each multiplying only its input's nonzero values. The probabilities are those of the plain definition, bit for bit:
/// each unit is its bias plus one fused multiply-add per nonzero input in ascending order (subnormal inputs, weights and
/// biases as 0), ReLU between layers, softmax (probabilities below about 2^-100 as 0).
/// </summary>
public sealed class MlpScorer
{
    readonly MlpNetwork _network;
    readonly ScoringLayer[] _layers;
    readonly int _width;   // widest padded layer output
    readonly int _scratch; // Predict's scratch floats: two padded layer outputs and a layer input's nonzero positions

    public MlpScorer(MlpNetwork network)
    {
        ArgumentNullException.ThrowIfNull(network);
        _network = network;
        var sizes = network.LayerSizes;
        _layers = Enumerable.Range(0, network.LayerCount)
            .Select(l => new ScoringLayer(network.GetWeights(l), network.GetBiases(l), sizes[l], sizes[l + 1])).ToArray();
        _width = _layers.Max(s => s.Width);
        _scratch = 2 * _width + sizes.Take(sizes.Count - 1).Max() + 16;
    }

    /// <summary>The network it scores with.</summary>
    public MlpNetwork Network => _network;

    /// <summary>
    /// Class probabilities of one row: each unit is its bias plus, input by input in ascending order, one fused
    /// multiply-add (zero inputs, which add nothing, are skipped), ReLU between layers, and a softmax.
    /// Thread-safe: scratch space is per call. Stable for any finite features (the
    /// softmax subtracts the largest logit first). A row with a NaN or infinite feature, or whose logits overflow
    /// float, gets NaN probabilities: ML.NET's convention for a row it cannot score, whose PredictedLabel is then
    /// missing (key 0) rather than some class.
    /// </summary>
    public void Predict(ReadOnlySpan<float> features, Span<float> probabilities) => Score(features, probabilities, softmax: true);

    /// <summary>
    /// The raw outputs of one row, the last layer's with no softmax: a regression's prediction or a binary classifier's
    /// logit. Arithmetic as <see cref="Predict"/>'s; a row with a NaN or infinite feature gets NaN.
    /// </summary>
    public void Forward(ReadOnlySpan<float> features, Span<float> outputs) => Score(features, outputs, softmax: false);

    [SkipLocalsInit] // the scratch is written before it is read
    void Score(ReadOnlySpan<float> features, Span<float> probabilities, bool softmax)
    {
        if (features.Length != _network.InputSize)
            throw new ArgumentException($"Expected {_network.InputSize} features, got {features.Length}.", nameof(features));
        if (probabilities.Length != _network.ClassCount)
            throw new ArgumentException($"Expected room for {_network.ClassCount} probabilities, got {probabilities.Length}.", nameof(probabilities));
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
            for (int l = 0; l < _layers.Length; l++)
            {
                var layer = _layers[l];
                if (l > 0) count = ScoringLayer.FindNonzero(input, nonzero, out _);
                Span<float> output = l % 2 == 0 ? a : b;
                layer.Forward(input, nonzero[..count], output, relu: l < _layers.Length - 1);
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
    /// Softmax in place with the largest logit subtracted, so exp never overflows (TensorPrimitives.SoftMax does not
    /// subtract it: logits above 88 gave NaN). A NaN or +infinite logit gives NaN everywhere. A logit more than
    /// -<see cref="SoftMaxCutoff"/> below the largest gets probability 0: it is raised to the cutoff before exp (so that
    /// exp never computes a subnormal, which many x86 cores do slowly), and afterwards every exp at or below the
    /// cutoff's is zeroed; every probability kept is then normal.
    /// </summary>
    internal static void SoftMax(Span<float> logits)
    {
        float max = TensorPrimitives.Max(logits); // NaN when any logit is NaN
        if (!float.IsFinite(max))
        {
            logits.Fill(float.NaN);
            return;
        }
        TensorPrimitives.Subtract(logits, max, logits);
        bool clamped = false;
        foreach (ref float x in logits)
            if (x < SoftMaxCutoff) (x, clamped) = (SoftMaxCutoff, true);
        TensorPrimitives.Exp(logits, logits);
        if (clamped)
        {
            float atCutoff = TensorPrimitives.Min(logits); // exp(cutoff), as this call computed it
            foreach (ref float e in logits)
                if (e <= atCutoff) e = 0;
        }
        TensorPrimitives.Divide(logits, TensorPrimitives.Sum(logits), logits); // the sum is at least exp(0) = 1
    }

    /// <summary>ln 2^-100: exp(x - max) below about 2^-100 is a probability of 0 (divided by a sum of at most the class count, it stays normal above).</summary>
    internal const float SoftMaxCutoff = -69.3147181f;

}
