using System.Text.Json.Serialization;

namespace MlNetMnist.Trainers.Learning;

/// <summary>
/// One epoch's outcome: mean training loss, validation loss and the task's validation metric (<see cref="Metric"/>
/// names it: accuracy, or R² for regression), and time. The metric keeps the JSON name older model zips stored it under.
/// </summary>
public sealed record EpochMetrics(int Epoch, double TrainLoss, double? ValidLoss,
    [property: JsonPropertyName("ValidAccuracy")] double? ValidMetric, TimeSpan Duration)
{
    /// <summary>What <see cref="ValidMetric"/> measures (higher is better).</summary>
    public string Metric { get; init; } = "accuracy";
}

/// <summary>
/// Reported after every training batch (<see cref="EpochEnd"/> null) and once after each epoch's validation
/// (<see cref="EpochEnd"/> set). <see cref="Loss"/> is the running mean training loss of the epoch so far.
/// </summary>
public sealed record TrainingProgress(int Epoch, int Epochs, int Batch, int BatchCount, double Loss, EpochMetrics? EpochEnd);
