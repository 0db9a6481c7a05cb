namespace MlNetMnist.Trainers.Learning;

/// <summary>One epoch's outcome: mean training loss, validation loss and accuracy (weighted by batch size), and time.</summary>
public sealed record EpochMetrics(int Epoch, double TrainLoss, double? ValidLoss, double? ValidAccuracy, TimeSpan Duration);

/// <summary>
/// Reported after every training batch (<see cref="EpochEnd"/> null) and once after each epoch's validation
/// (<see cref="EpochEnd"/> set). <see cref="Loss"/> is the running mean training loss of the epoch so far.
/// </summary>
public sealed record TrainingProgress(int Epoch, int Epochs, int Batch, int BatchCount, double Loss, EpochMetrics? EpochEnd);
