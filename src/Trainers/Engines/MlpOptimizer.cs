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
/// </summary>
/// <param name="LearningRate">Step size (a schedule may change it per step).</param>
/// <param name="Momentum">SGD's momentum (0: plain SGD), or Adam's β1: the coefficient a one-cycle schedule cycles.</param>
/// <param name="WeightDecay">SGD's and Adam's L2 penalty added to the gradient, or AdamW's decoupled decay.</param>
public sealed record MlpOptimizer(float LearningRate, float Momentum = 0, float WeightDecay = 0)
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

    /// <summary>SGD with the given settings.</summary>
    public static MlpOptimizer Sgd(float learningRate, float momentum = 0, float weightDecay = 0) => new(learningRate, momentum, weightDecay);

    /// <summary>torch.optim.Adam with its defaults.</summary>
    public static MlpOptimizer Adam(float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0) =>
        new(learningRate, beta1, weightDecay) { Kind = OptimizerKind.Adam, Beta2 = beta2, Epsilon = epsilon };

    /// <summary>torch.optim.AdamW with its defaults (weight decay 0.01).</summary>
    public static MlpOptimizer AdamW(float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0.01f) =>
        new(learningRate, beta1, weightDecay) { Kind = OptimizerKind.AdamW, Beta2 = beta2, Epsilon = epsilon };

    /// <summary>Throws naming the first setting out of range.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Kind)) throw OutOfRange(nameof(Kind), Kind, "Sgd, Adam or AdamW");
        if (!(LearningRate > 0) || !float.IsFinite(LearningRate)) throw OutOfRange(nameof(LearningRate), LearningRate, "a positive number");
        if (!(Momentum >= 0 && Momentum < 1)) throw OutOfRange(IsAdam ? "Beta1 (Momentum)" : nameof(Momentum), Momentum, "in [0, 1)");
        if (!(WeightDecay >= 0) || !float.IsFinite(WeightDecay)) throw OutOfRange(nameof(WeightDecay), WeightDecay, "a number >= 0");
        if (!(Beta2 >= 0 && Beta2 < 1)) throw OutOfRange(nameof(Beta2), Beta2, "in [0, 1)");
        if (!(Epsilon > 0) || !float.IsFinite(Epsilon)) throw OutOfRange(nameof(Epsilon), Epsilon, "a positive number");
    }

    // The value in the first line too: the command line shows only that one.
    static ArgumentOutOfRangeException OutOfRange(string setting, object value, string rule) =>
        new(setting, value, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"Optimizer {setting} must be {rule}, got {value}."));

    public override string ToString() => Kind switch
    {
        OptimizerKind.Sgd => FormattableString.Invariant($"sgd (lr {LearningRate:G4}, momentum {Momentum:G4}, weight decay {WeightDecay:G4})"),
        _ => FormattableString.Invariant($"{Kind.ToString().ToLowerInvariant()} (lr {LearningRate:G4}, betas {Momentum:G4}/{Beta2:G4}, eps {Epsilon:G3}, weight decay {WeightDecay:G4})"),
    };
}
