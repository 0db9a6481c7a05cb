using Microsoft.ML;
using MlNetMnist.Trainers.Engines;
using MlNetMnist.Trainers.Engines.Managed;
using MlNetMnist.Trainers.Learning;
using MlNetMnist.Trainers.Learning.Schedules;

namespace MlNetMnist.Trainers;

/// <summary>
/// Options of every MLP trainer (multiclass <see cref="MlpTrainer"/>, <see cref="MlpBinaryTrainer"/>,
/// <see cref="MlpRegressionTrainer"/>). The defaults are the lesson's: 784-50-10, batch 50, lr 0.5, 3 epochs.
/// </summary>
public sealed class MlpOptions
{
    /// <summary>
    /// The label column: multiclass, a key type (class k is raw key k+1) or an integer type (class k is k); binary, a
    /// Boolean; regression, a Single.
    /// </summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>An optional Single column of example weights: the loss is the weighted mean, and a row of weight 0 does not count.</summary>
    public string? ExampleWeightColumnName { get; set; }

    /// <summary>Classification: each class's weight, multiplying its rows' weights (binary: [false, true]); null: all 1.</summary>
    public float[]? ClassWeights { get; set; }

    /// <summary>Classification: weigh each class by total / (classes · class total) from the training rows, as scikit-learn's "balanced".</summary>
    public bool BalanceClasses { get; set; }

    /// <summary>Regression: the loss on the standardised label.</summary>
    public RegressionLoss RegressionLoss { get; set; } = RegressionLoss.Squared;

    /// <summary>Regression with <see cref="RegressionLoss.Huber"/>: errors beyond this many label standard deviations count linearly.</summary>
    public float HuberDelta { get; set; } = 1f;

    /// <summary>The feature column: a known-size vector of Single.</summary>
    public string FeatureColumnName { get; set; } = "Features";

    /// <summary>Sizes of the hidden layers, each followed by a ReLU.</summary>
    public int[] HiddenLayers { get; set; } = [50];

    /// <summary>Passes over the training data. When continuing a model (Fit with model parameters), the total: the model's epochs count.</summary>
    public int Epochs { get; set; } = 3;

    /// <summary>Rows per minibatch.</summary>
    public int BatchSize { get; set; } = 50;

    /// <summary>
    /// The optimizer's step size (the peak of a one-cycle schedule); null: the optimizer's usual rate
    /// (<see cref="MlpOptimizer.DefaultLearningRate"/>: 0.5, the lesson's, for SGD; 0.001, torch's, for Adam and AdamW).
    /// </summary>
    public float? LearningRate { get; set; }

    /// <summary>The rate training starts from: <see cref="LearningRate"/>, or the optimizer's usual one.</summary>
    internal float EffectiveLearningRate => LearningRate ?? Optimizer.DefaultLearningRate;

    /// <summary>Seed of the initial weights and the shuffling; null takes one from the MLContext's seed.</summary>
    public int? Seed { get; set; }

    /// <summary>Reshuffle the training rows every epoch.</summary>
    public bool Shuffle { get; set; } = true;

    /// <summary>
    /// Threads that build minibatches ahead of the training loop (0: built on the training thread); results do not
    /// depend on it. By default (null) the engine picks (<see cref="MlpEngine.LoaderOptions"/>).
    /// </summary>
    public int? NumWorkers { get; set; }

    /// <summary>
    /// How a training step is computed; every engine trains the same model with the same loss and SGD from the same
    /// initial weights. Default <see cref="ManagedEngine"/>; the TorchSharp add-on package adds the lesson's autograd engine.
    /// </summary>
    public MlpEngine Engine { get; set; } = ManagedEngine.Instance;

    /// <summary>
    /// The update rule and its settings other than the rate: <see cref="MlpOptimizer.Sgd"/> (default: plain SGD, the
    /// lesson's; momentum and weight decay are its arguments), <see cref="MlpOptimizer.Adam"/> or <see cref="MlpOptimizer.AdamW"/>.
    /// </summary>
    public MlpOptimizer Optimizer { get; set; } = MlpOptimizer.Sgd();

    /// <summary>How the rate (and momentum) change per step: constant (default), one-cycle or cosine, over all <see cref="Epochs"/>.</summary>
    public LearningRateSchedule Schedule { get; set; } = LearningRateSchedule.Constant;

    /// <summary>Stop when the validation metric stops improving and keep the best epoch's weights; null: train every epoch.</summary>
    public EarlyStoppingOptions? EarlyStopping { get; set; }

    /// <summary>
    /// Save a checkpoint (the model with its optimizer state and history, atomically) after every epoch or every N, which
    /// <c>Fit(data, model)</c> continues bit for bit; null: none.
    /// </summary>
    public MlpCheckpointOptions? Checkpoint { get; set; }

    /// <summary>Your own callbacks, run by the training loop with its own (metrics at order 0, progress at 10).</summary>
    public IList<LearnerCallback> Callbacks { get; set; } = [];

    /// <summary>
    /// Training (and validation) data that would take more memory than this, in bytes, is not copied into memory but
    /// streamed from the IDataView every epoch through a shuffle buffer of <see cref="ShuffleBufferRows"/> rows.
    /// Mostly-zero rows are counted at their compact size. Default 1 GiB.
    /// </summary>
    public long MemoryBudgetBytes { get; set; } = 1L << 30;

    /// <summary>Rows of the shuffle buffer when the training data is streamed (see <see cref="MemoryBudgetBytes"/>): each batch draws from them at random.</summary>
    public int ShuffleBufferRows { get; set; } = 10_000;

    /// <summary>Rows to report validation loss and accuracy on after each epoch (also settable through Fit's second argument).</summary>
    public IDataView? ValidationData { get; set; }

    /// <summary>Receives a report after every batch and every epoch.</summary>
    public IProgress<TrainingProgress>? Progress { get; set; }

    /// <summary>Stops training between batches; Fit then throws <see cref="OperationCanceledException"/>.</summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>
    /// Options that train as <paramref name="model"/> was trained: its layers, batch size, rate, optimizer, schedule,
    /// early stopping, seed, shuffling, epochs and engine (the managed engine when the model's is not in this app: every
    /// engine trains the same model). Raise <see cref="Epochs"/> (the total) and change what should differ, then
    /// the task's trainer continues the model (<see cref="MlpTrainerBase{TTransformer, TModel}.Fit(IDataView, TModel)"/>).
    /// </summary>
    public static MlpOptions ContinuingFrom(IMlpModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var recipe = model.Training;
        return new MlpOptions
        {
            HiddenLayers = recipe.HiddenLayers.ToArray(), Epochs = recipe.Epochs, BatchSize = recipe.BatchSize, LearningRate = recipe.LearningRate,
            Optimizer = recipe.Optimizer, Schedule = recipe.Schedule ?? LearningRateSchedule.Constant, EarlyStopping = recipe.EarlyStopping,
            Seed = recipe.Seed, Shuffle = recipe.Shuffle,
            Engine = MlpEngines.Available.FirstOrDefault(e => e.Name.Equals(recipe.Engine, StringComparison.OrdinalIgnoreCase)) ?? ManagedEngine.Instance,
        };
    }

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(LabelColumnName)) throw new ArgumentException($"LabelColumnName must name a column, got '{LabelColumnName}'.", nameof(LabelColumnName));
        if (string.IsNullOrWhiteSpace(FeatureColumnName)) throw new ArgumentException($"FeatureColumnName must name a column, got '{FeatureColumnName}'.", nameof(FeatureColumnName));
        if (HiddenLayers is null or [])
            throw new ArgumentException($"HiddenLayers must hold at least one size, got {(HiddenLayers is null ? "null" : "[]")}.", nameof(HiddenLayers));
        if (Array.FindIndex(HiddenLayers, h => h <= 0) is var bad and >= 0)
            throw new ArgumentOutOfRangeException(nameof(HiddenLayers), $"[{string.Join(", ", HiddenLayers)}]",
                $"HiddenLayers[{bad}] is {HiddenLayers[bad]}; every hidden layer needs a positive size.");
        if (ExampleWeightColumnName is not null && string.IsNullOrWhiteSpace(ExampleWeightColumnName))
            throw new ArgumentException($"ExampleWeightColumnName must name a column or be null, got '{ExampleWeightColumnName}'.", nameof(ExampleWeightColumnName));
        if (ClassWeights is not null && BalanceClasses)
            throw new ArgumentException("Give ClassWeights or set BalanceClasses, not both.", nameof(ClassWeights));
        if (ClassWeights?.Any(w => !(w >= 0) || !float.IsFinite(w)) == true)
            throw new ArgumentOutOfRangeException(nameof(ClassWeights), $"[{string.Join(", ", ClassWeights)}]", "Every class weight must be a finite number >= 0.");
        if (!Enum.IsDefined(RegressionLoss)) throw OutOfRange(nameof(RegressionLoss), RegressionLoss, "Squared or Huber");
        if (!(HuberDelta > 0) || !float.IsFinite(HuberDelta)) throw OutOfRange(nameof(HuberDelta), HuberDelta, "a positive number");
        if (Epochs < 1) throw OutOfRange(nameof(Epochs), Epochs, "at least 1");
        if (BatchSize < 1) throw OutOfRange(nameof(BatchSize), BatchSize, "at least 1");
        if (LearningRate is float rate && (!(rate > 0) || !float.IsFinite(rate))) throw OutOfRange(nameof(LearningRate), rate, "a positive number");
        if (MemoryBudgetBytes < 1) throw OutOfRange(nameof(MemoryBudgetBytes), MemoryBudgetBytes, "positive");
        if (ShuffleBufferRows < 1) throw OutOfRange(nameof(ShuffleBufferRows), ShuffleBufferRows, "at least 1");
        if (NumWorkers < 0) throw OutOfRange(nameof(NumWorkers), NumWorkers, "at least 0");
        (Optimizer ?? throw new ArgumentNullException(nameof(Optimizer), "Optimizer must be an optimizer (MlpOptimizer.Sgd() for the lesson's), got null.")).Validate();
        (Schedule ?? throw new ArgumentNullException(nameof(Schedule), "Schedule must be a schedule (LearningRateSchedule.Constant for none), got null.")).Validate();
        EarlyStopping?.Validate();
        Checkpoint?.Validate();
        if (Callbacks is null || Callbacks.Any(c => c is null)) throw new ArgumentNullException(nameof(Callbacks), "Callbacks must be a list of callbacks, without nulls.");
        if (Engine is null) throw new ArgumentNullException(nameof(Engine), "Engine must name an engine.");
    }

    // The value in the first line too: the command line shows only that one.
    static ArgumentOutOfRangeException OutOfRange(string option, object? value, string rule) =>
        new(option, value, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{option} must be {rule}, got {value}."));
}
