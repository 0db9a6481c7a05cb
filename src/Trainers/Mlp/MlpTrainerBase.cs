using Microsoft.ML;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers;
using MlNetMnist.Trainers.Learning.Callbacks;

namespace MlNetMnist.Trainers;

/// <summary>
/// What the three MLP trainers share: their <see cref="MlpOptions"/>, Fit with a validation set or from a model to
/// continue, the LR finder, and training through <see cref="MlpFit"/>. A task's trainer gives its label column, its
/// output columns and the model parameters a fit becomes.
/// </summary>
public abstract class MlpTrainerBase<TTransformer, TModel> : TrainerEstimatorBase<TTransformer, TModel>
    where TTransformer : ISingleFeaturePredictionTransformer<TModel>
    where TModel : class, IPredictor
{
    private protected readonly MlpOptions Options;

    private protected MlpTrainerBase(IHostEnvironment env, string loadName, MlpOptions options, Func<string, SchemaShape.Column> label)
        : base(Contracts.CheckRef(env, nameof(env)).Register(loadName),
               TrainerUtils.MakeR4VecFeature(Checked(options).FeatureColumnName),
               label(options.LabelColumnName),
               TrainerUtils.MakeR4ScalarWeightColumn(options.ExampleWeightColumnName))
    {
        Options = options;
    }

    static MlpOptions Checked(MlpOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options;
    }

    /// <summary>The task this trainer trains, which picks the output head and loss.</summary>
    private protected abstract MlpTask Task { get; }

    /// <summary>The model parameters a fit's result becomes.</summary>
    private protected abstract TModel Model(MlpFitResult fit);

    /// <inheritdoc/>
    public override TrainerInfo Info { get; } = new(normalization: false, caching: false, supportValid: true, supportIncrementalTrain: true);

    /// <summary>Trains on <paramref name="trainData"/>, reporting validation loss and the task's metric on <paramref name="validationData"/> after each epoch.</summary>
    public TTransformer Fit(IDataView trainData, IDataView validationData) => TrainTransformer(trainData, validationData);

    /// <summary>
    /// Continues training <paramref name="modelParameters"/> (a model of this task this trainer made, with the layer
    /// sizes these options and data make) on <paramref name="trainData"/>: from its weights and optimizer state, at
    /// the epoch after its last, up to <see cref="MlpOptions.Epochs"/> in all, its history extended. With the same data,
    /// seed (by default the model's), optimizer and schedule, stopping after N epochs and continuing to N+M gives the
    /// weights that training N+M at once gives (bit for bit with the managed engine).
    /// </summary>
    public TTransformer Fit(IDataView trainData, TModel modelParameters)
    {
        Host.CheckValue(modelParameters, nameof(modelParameters));
        return TrainTransformer(trainData, Options.ValidationData, modelParameters);
    }

    /// <summary>
    /// fastai's LR finder on <paramref name="trainData"/>, on this task's loss: from the options' initial weights, the
    /// rate grows exponentially over minibatches until the loss diverges; returns the loss-versus-rate curve and a
    /// suggested rate. Trains a throwaway copy; nothing is returned to score with.
    /// </summary>
    public LrFinderResult FindLearningRate(IDataView trainData, double start = 1e-7, double end = 10, int steps = 200)
        => MlpLrFind.Run(Host, Options, Task, trainData, start, end, steps);

    /// <summary>
    /// Trains: the validation set is the context's or the options', a model to continue is the context's initial
    /// predictor (an MLP of the same task); checkpoints get this trainer's transformer on the training data's schema.
    /// </summary>
    protected override TModel TrainModelCore(TrainContext context)
    {
        Host.CheckValue(context, nameof(context));
        Options.Validate(); // again: the options object may have changed since the trainer was made
        IDataView? validation = context.ValidationSet?.Data ?? Options.ValidationData;
        var start = context.InitialPredictor switch
        {
            null => null,
            IMlpModel mlp when mlp.Training.Task == Task => mlp,
            CalibratedModelParametersBase { SubModel: IMlpModel mlp } when mlp.Training.Task == Task => mlp,
            var other => throw Host.Except($"Cannot continue training from a {other.GetType().Name}: the MLP trainer continues only its own models of the same task."),
        };
        int seed = Options.Seed ?? start?.Training.Seed ?? Host.Rand.Next();
        var trainSchema = context.TrainingSet.Data.Schema;
        var fit = MlpFit.Run(Host, Options, Task, context.TrainingSet.Data, validation, seed, start is null ? null : Resumable(start),
            result => MakeTransformer(Model(result), trainSchema));
        return Model(fit);
    }

    /// <summary>What a fit continues from: the layers as trained (a regression's before its standardisation is folded in).</summary>
    static MlpFitResult Resumable(IMlpModel model) => new(model is MlpScoreModelParameters score ? score.TrainedNetwork : model.Network,
        model.Training, model.OptimizerState, model.EarlyStoppingBest);
}
