using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Text.Json.Serialization;
using MlNetMnist.DataViews;
using MlNetMnist.Trainers.Learning;

namespace MlNetMnist.Trainers.Engines;

/// <summary>Which output and loss an <see cref="MlpHead"/> describes.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<HeadKind>))]
public enum HeadKind
{
    /// <summary>Multiclass: one logit per class, softmax cross-entropy (torch's F.cross_entropy).</summary>
    Softmax,
    /// <summary>Binary: one logit, log-loss of its sigmoid (torch's F.binary_cross_entropy_with_logits).</summary>
    Logistic,
    /// <summary>Regression: one output, squared error (torch's F.mse_loss).</summary>
    Squared,
    /// <summary>Regression: one output, Huber loss with <see cref="MlpHead.HuberDelta"/> (torch's F.huber_loss).</summary>
    Huber,
}

/// <summary>
/// The network's output head and loss, as a value every engine executes (as it executes the <see cref="MlpOptimizer"/>):
/// one network, three tasks. A row's loss counts with its weight (the example weight times its class's weight), and a
/// batch's loss is the weighted mean, so a row of weight 0 does not count. A regression head compares the output with
/// the target standardised by <see cref="TargetMean"/> and <see cref="TargetScale"/> (the trainer folds them back into
/// the last layer afterwards). The row-level arithmetic here is every engine's evaluation; the managed engine's training
/// step adds the gradient (HeadKernels), the autograd engine writes the loss on tensors (HeadLoss).
/// </summary>
public sealed record MlpHead
{
    /// <summary>The output and loss.</summary>
    public HeadKind Kind { get; init; }

    /// <summary>Huber's delta: errors beyond it count linearly (torch's default 1).</summary>
    public float HuberDelta { get; init; } = 1f;

    /// <summary>Classification: each class's weight (a row's weight is multiplied by its class's); null: all 1.</summary>
    public IReadOnlyList<float>? ClassWeights { get; init; }

    /// <summary>Regression: subtracted from the target before the loss.</summary>
    public float TargetMean { get; init; }

    /// <summary>Regression: the target minus <see cref="TargetMean"/> is divided by this before the loss.</summary>
    public float TargetScale { get; init; } = 1f;

    /// <summary>Softmax cross-entropy over the classes.</summary>
    public static MlpHead Softmax(IReadOnlyList<float>? classWeights = null) => new() { Kind = HeadKind.Softmax, ClassWeights = classWeights };

    /// <summary>One logit, log-loss; <paramref name="classWeights"/> [negative, positive].</summary>
    public static MlpHead Logistic(IReadOnlyList<float>? classWeights = null) => new() { Kind = HeadKind.Logistic, ClassWeights = classWeights };

    /// <summary>One output, squared error.</summary>
    public static MlpHead Squared() => new() { Kind = HeadKind.Squared };

    /// <summary>One output, Huber loss.</summary>
    public static MlpHead Huber(float delta = 1f) => new() { Kind = HeadKind.Huber, HuberDelta = delta };

    /// <summary>Whether the head regresses a target (else it classifies the label).</summary>
    [JsonIgnore]
    public bool IsRegression => Kind is HeadKind.Squared or HeadKind.Huber;

    /// <summary>The network's outputs for <paramref name="classCount"/> classes: one per class for softmax, else one.</summary>
    public int OutputCount(int classCount) => Kind == HeadKind.Softmax ? classCount : 1;

    /// <summary>The validation metric's name: higher is better.</summary>
    [JsonIgnore]
    public string MetricName => IsRegression ? "R²" : "accuracy";

    /// <summary>The validation metric of evaluated rows: R² for regression, else accuracy.</summary>
    public double Metric(EvaluationSums sums) => IsRegression ? sums.RSquared : sums.Accuracy;

    /// <summary>Throws naming the first setting out of range.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Kind)) throw new ArgumentOutOfRangeException(nameof(Kind), Kind, $"Head Kind must be Softmax, Logistic, Squared or Huber, got {Kind}.");
        if (!(HuberDelta > 0) || !float.IsFinite(HuberDelta)) throw new ArgumentOutOfRangeException(nameof(HuberDelta), HuberDelta, $"HuberDelta must be a positive number, got {HuberDelta}.");
        if (!(TargetScale > 0) || !float.IsFinite(TargetScale) || !float.IsFinite(TargetMean))
            throw new ArgumentOutOfRangeException(nameof(TargetScale), TargetScale, "The target's standardisation must be finite with a positive scale.");
        if (ClassWeights?.Any(w => !(w >= 0) || !float.IsFinite(w)) == true)
            throw new ArgumentOutOfRangeException(nameof(ClassWeights), $"[{string.Join(", ", ClassWeights)}]", "Every class weight must be a finite number >= 0.");
    }

    /// <summary>Row <paramref name="row"/>'s weight: its example weight (1 when the batch has none) times its class's weight.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per row of every step
    public float Weight(Batch batch, int row)
    {
        float weight = batch.Weights.IsEmpty ? 1f : batch.Weights.Span[row];
        return ClassWeights is { } classes && !IsRegression ? weight * classes[batch.Labels.Span[row]] : weight;
    }

    /// <summary>Row <paramref name="row"/>'s target as the loss sees it: standardised.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per row of every step
    public float Target(Batch batch, int row) => IsRegression ? (batch.Targets.Span[row] - TargetMean) / TargetScale : 0f;

    /// <summary>The (unweighted) loss of one row's outputs.</summary>
    public float Loss(ReadOnlySpan<float> outputs, int label, float target)
    {
        switch (Kind)
        {
            case HeadKind.Softmax:
                return SoftmaxCrossEntropy(outputs, label);
            case HeadKind.Logistic:
                return LogLoss(outputs[0], label);
            case HeadKind.Squared:
                float d = outputs[0] - target;
                return d * d;
            default:
                float e = MathF.Abs(outputs[0] - target);
                return e < HuberDelta ? 0.5f * e * e : HuberDelta * (e - 0.5f * HuberDelta);
        }
    }

    /// <summary>One row's contribution to the evaluation sums, counted with <paramref name="weight"/>.</summary>
    public EvaluationSums Evaluate(ReadOnlySpan<float> outputs, int label, float target, float weight)
    {
        double loss = weight * (double)Loss(outputs, label, target);
        return Kind switch
        {
            HeadKind.Softmax => new(loss, weight, TensorPrimitives.IndexOfMax(outputs) == label ? weight : 0),
            HeadKind.Logistic => new(loss, weight, (outputs[0] > 0 ? 1 : 0) == label ? weight : 0),
            _ => new(loss, weight, 0, weight * (double)(outputs[0] - target) * (outputs[0] - target), weight * (double)target, weight * (double)target * target),
        };
    }

    /// <summary>
    /// ln 2^-64: softmax terms exp(x - max) below 2^-64 cannot change a sum of at least 1, so they are left out rather
    /// than computed into subnormal floats (the managed kernels' training step leaves out the same terms).
    /// </summary>
    internal const float NegligibleSoftmaxExponent = -44.3614196f;

    /// <summary>Cross-entropy of one row of logits: log Σ exp(x - max) + max - x[label], negligible terms left out.</summary>
    static float SoftmaxCrossEntropy(ReadOnlySpan<float> logits, int label)
    {
        float max = TensorPrimitives.Max(logits), sum = 0;
        foreach (float x in logits)
            if (x - max >= NegligibleSoftmaxExponent) sum += MathF.Exp(x - max);
        return max + MathF.Log(sum) - logits[label];
    }

    /// <summary>log(1 + exp(z)) - y·z, without overflow for any finite z.</summary>
    static float LogLoss(float z, int label) => MathF.Max(z, 0) - label * z + MathF.Log(1 + MathF.Exp(-MathF.Abs(z)));

    internal static float Sigmoid(float z) => z >= 0 ? 1 / (1 + MathF.Exp(-z)) : MathF.Exp(z) / (1 + MathF.Exp(z));
}
