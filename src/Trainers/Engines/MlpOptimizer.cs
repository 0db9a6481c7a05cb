using System.Text.Json.Serialization;

namespace MlNetMnist.Trainers.Engines;

/// <summary>Which update rule an <see cref="MlpOptimizer"/> describes.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<OptimizerKind>))]
public enum OptimizerKind
{
    /// <summary>torch.optim.SGD: momentum, L2 weight decay added to the gradient.</summary>
    Sgd,
    /// <summary>torch.optim.Adam: L2 weight decay added to the gradient.</summary>
    Adam,
    /// <summary>torch.optim.AdamW: decoupled weight decay, p -= lr·wd·p before the Adam step.</summary>
    AdamW,
}

/// <summary>
/// The optimizer an engine executes, as a value. <see cref="OptimizerKind.Sgd"/> is torch.optim.SGD (dampening 0, no
/// Nesterov): g = grad + weightDecay·p; with momentum, buf = g on the first step, then buf = momentum·buf + g, and
/// g = buf; finally p -= lr·g. <see cref="OptimizerKind.Adam"/> and <see cref="OptimizerKind.AdamW"/> are torch.optim's
/// (no amsgrad): m = β1·m + (1-β1)·g, v = β2·v + (1-β2)·g², p -= lr/(1-β1ᵗ) · m / (√v/√(1-β2ᵗ) + eps).
/// The rate lr is not part of it: it is <c>MlpOptions.LearningRate</c>, which a schedule changes per step.
/// </summary>
/// <param name="Momentum">SGD's momentum (0: plain SGD), or Adam's β1: the coefficient a one-cycle schedule cycles.</param>
/// <param name="WeightDecay">SGD's and Adam's L2 penalty added to the gradient, or AdamW's decoupled decay.</param>
public sealed record MlpOptimizer(float Momentum = 0, float WeightDecay = 0)
{
    /// <summary>The update rule.</summary>
    public OptimizerKind Kind { get; init; } = OptimizerKind.Sgd;

    /// <summary>Adam's β2, the decay of the squared-gradient average.</summary>
    public float Beta2 { get; init; } = 0.999f;

    /// <summary>Adam's eps, added to the denominator.</summary>
    public float Epsilon { get; init; } = 1e-8f;

    /// <summary>Whether the optimizer is Adam or AdamW.</summary>
    [JsonIgnore]
    public bool IsAdam => Kind is OptimizerKind.Adam or OptimizerKind.AdamW;

    /// <summary>Buffers the optimizer keeps per parameter: SGD with momentum one (the momentum buffer), Adam two (exp_avg, exp_avg_sq).</summary>
    [JsonIgnore]
    public int MomentCount => IsAdam ? 2 : 1;

    /// <summary>torch.optim.SGD with the given settings (plain SGD, the lesson's, by default).</summary>
    public static MlpOptimizer Sgd(float momentum = 0, float weightDecay = 0) => new(momentum, weightDecay);

    /// <summary>torch.optim.Adam with its defaults.</summary>
    public static MlpOptimizer Adam(float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0) =>
        new(beta1, weightDecay) { Kind = OptimizerKind.Adam, Beta2 = beta2, Epsilon = epsilon };

    /// <summary>torch.optim.AdamW with its defaults (weight decay 0.01).</summary>
    public static MlpOptimizer AdamW(float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0.01f) =>
        new(beta1, weightDecay) { Kind = OptimizerKind.AdamW, Beta2 = beta2, Epsilon = epsilon };

    /// <summary>The rate this optimizer usually steps at: the lesson's 0.5 for SGD, torch's 0.001 for Adam and AdamW.</summary>
    [JsonIgnore]
    public float DefaultLearningRate => IsAdam ? 1e-3f : 0.5f;

    /// <summary>Throws unless <paramref name="learningRate"/> is a step size this optimizer can take.</summary>
    public static void ValidateLearningRate(float learningRate)
    {
        if (!(learningRate > 0) || !float.IsFinite(learningRate)) throw OutOfRange("LearningRate", learningRate, "a positive number");
    }

    /// <summary>Throws naming the first setting out of range.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Kind)) throw OutOfRange(nameof(Kind), Kind, "Sgd, Adam or AdamW");
        if (!(Momentum >= 0 && Momentum < 1)) throw OutOfRange(IsAdam ? "Beta1 (Momentum)" : nameof(Momentum), Momentum, "in [0, 1)");
        if (!(WeightDecay >= 0) || !float.IsFinite(WeightDecay)) throw OutOfRange(nameof(WeightDecay), WeightDecay, "a number >= 0");
        if (!(Beta2 >= 0 && Beta2 < 1)) throw OutOfRange(nameof(Beta2), Beta2, "in [0, 1)");
        if (!(Epsilon > 0) || !float.IsFinite(Epsilon)) throw OutOfRange(nameof(Epsilon), Epsilon, "a positive number");
    }

    // The value in the first line too: the command line shows only that one.
    static ArgumentOutOfRangeException OutOfRange(string setting, object value, string rule) =>
        new(setting, value, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"Optimizer {setting} must be {rule}, got {value}."));

    public override string ToString() => $"{Name} ({Settings})";

    /// <summary>As <see cref="ToString()"/>, stepping at <paramref name="learningRate"/>: "adam (lr 0.003, betas 0.9/0.999, ...)".</summary>
    public string ToString(float learningRate) => FormattableString.Invariant($"{Name} (lr {learningRate:G4}, {Settings})");

    string Name => Kind.ToString().ToLowerInvariant();

    string Settings => Kind == OptimizerKind.Sgd
        ? FormattableString.Invariant($"momentum {Momentum:G4}, weight decay {WeightDecay:G4}")
        : FormattableString.Invariant($"betas {Momentum:G4}/{Beta2:G4}, eps {Epsilon:G3}, weight decay {WeightDecay:G4}");
}
