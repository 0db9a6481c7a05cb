using System.Text.Json.Serialization;

namespace MlNetMnist.Trainers.Learning;

/// <summary>The validation metric early stopping watches.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<EarlyStoppingMetric>))]
public enum EarlyStoppingMetric
{
    /// <summary>Validation loss: lower is better.</summary>
    ValidLoss,
    /// <summary>The task's validation metric (accuracy; R² for regression): higher is better. Stored as "ValidAccuracy", its first name.</summary>
    [JsonStringEnumMemberName("ValidAccuracy")]
    ValidMetric,
}

/// <summary>
/// Stop training when the validation metric has not improved by more than <see cref="MinDelta"/> for
/// <see cref="Patience"/> epochs, and keep the best epoch's weights (Keras' EarlyStopping with restore_best_weights).
/// </summary>
public sealed record EarlyStoppingOptions
{
    public EarlyStoppingMetric Metric { get; init; } = EarlyStoppingMetric.ValidLoss;

    /// <summary>An epoch improves on the best only by more than this.</summary>
    public double MinDelta { get; init; }

    /// <summary>Epochs without improvement before training stops.</summary>
    public int Patience { get; init; } = 3;

    /// <summary>With no validation data given, this fraction of the training rows (drawn with the seed) is held out to validate on; 0 requires validation data.</summary>
    public double HoldOutFraction { get; init; } = 0.1;

    /// <summary>Throws naming the first setting out of range.</summary>
    public void Validate()
    {
        if (!Enum.IsDefined(Metric)) throw new ArgumentOutOfRangeException(nameof(Metric), Metric, "Unknown early-stopping metric.");
        if (!(MinDelta >= 0) || !double.IsFinite(MinDelta)) throw new ArgumentOutOfRangeException(nameof(MinDelta), MinDelta, "MinDelta must be a number >= 0.");
        if (Patience < 1) throw new ArgumentOutOfRangeException(nameof(Patience), Patience, "Patience must be at least 1.");
        if (!(HoldOutFraction >= 0 && HoldOutFraction < 1)) throw new ArgumentOutOfRangeException(nameof(HoldOutFraction), HoldOutFraction, "HoldOutFraction must be in [0, 1).");
    }
}
