using System.Text.Json;
using System.Text.Json.Serialization;
using MlNetMnist.Trainers.Engines;
using MlNetMnist.Trainers.Learning;
using MlNetMnist.Trainers.Learning.Schedules;

namespace MlNetMnist.Trainers;

/// <summary>How a saved MLP was trained: its options and the metrics of every epoch. Stored in the model zip.</summary>
public sealed record MlpTrainingInfo(
    IReadOnlyList<int> HiddenLayers,
    int Epochs,
    int BatchSize,
    float LearningRate,
    int Seed,
    bool Shuffle,
    long TrainingRows,
    IReadOnlyList<EpochMetrics> History)
{
    readonly MlpOptimizer? _optimizer;

    /// <summary>The optimizer, stepping at <see cref="LearningRate"/>.</summary>
    public MlpOptimizer Optimizer
    {
        get => _optimizer ?? MlpOptimizer.Sgd(SgdMomentum, SgdWeightDecay);
        init => _optimizer = value;
    }

    // Models saved before Adam came stored no optimizer, only SGD's momentum and weight decay under these names.
    [JsonInclude, JsonPropertyName("Momentum"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    internal float SgdMomentum { get; init; }

    [JsonInclude, JsonPropertyName("WeightDecay"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    internal float SgdWeightDecay { get; init; }

    /// <summary>The rate schedule (null in models saved before schedules: constant).</summary>
    public LearningRateSchedule? Schedule { get; init; }

    /// <summary>The early-stopping rule, if training had one.</summary>
    public EarlyStoppingOptions? EarlyStopping { get; init; }

    /// <summary>The epoch whose weights the model holds when early stopping kept an earlier one than the last; else null.</summary>
    public int? BestEpoch { get; init; }

    /// <summary>The task (models saved before regression and binary came: multiclass).</summary>
    public MlpTask Task { get; init; }

    /// <summary>The head and loss trained, with its class weights or the label's standardisation (null in models saved before heads: softmax).</summary>
    public MlpHead? Head { get; init; }

    /// <summary>Training rows held out to validate on for early stopping (0: none).</summary>
    public int HeldOutRows { get; init; }

    /// <summary>The name of the engine that computed the steps (every engine trains the same model).</summary>
    [JsonConverter(typeof(EngineNameConverter))]
    public string Engine { get; init; } = "";

    /// <summary>Reads the engine's name; the first builds of format 0x00010001 stored it as a number.</summary>
    sealed class EngineNameConverter : JsonConverter<string>
    {
        static readonly string[] Numbered = ["Fused", "Autograd", "Managed"];

        public override string Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out int n) && n >= 0 && n < Numbered.Length
                ? Numbered[n]
                : reader.GetString() ?? throw new JsonException("The engine's name is missing.");

        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
    }
}
