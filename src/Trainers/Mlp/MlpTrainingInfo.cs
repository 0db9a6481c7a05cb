namespace MlNetMnist.Trainers;

/// <summary>How a saved MLP was trained: its options and the metrics of every epoch. Stored in the model zip.</summary>
public sealed record MlpTrainingInfo(
    IReadOnlyList<int> HiddenLayers,
    int Epochs,
    int BatchSize,
    float LearningRate,
    float Momentum,
    float WeightDecay,
    int Seed,
    bool Shuffle,
    int TrainingRows,
    IReadOnlyList<EpochMetrics> History)
{
    /// <summary>How the steps were computed (both engines train the same model).</summary>
    public MlpEngine Engine { get; init; }
}
