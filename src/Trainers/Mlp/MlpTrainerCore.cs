using Microsoft.ML;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers;

namespace MlNetMnist.Trainers;

/// <summary>What the three MLP trainers share: the options' check and the TrainContext into <see cref="MlpFit.Run"/>.</summary>
internal static class MlpTrainerCore
{
    public static readonly TrainerInfo Info = new(normalization: false, caching: false, supportValid: true, supportIncrementalTrain: true);

    public static MlpOptions CheckOptions(MlpOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options;
    }

    /// <summary>
    /// Trains for <paramref name="task"/>: the validation set is the context's or the options', a model to continue is the
    /// context's initial predictor (an MLP of the same task); <paramref name="transformer"/> makes the trainer's
    /// transformer of a fit result on the training data's schema, for checkpoints.
    /// </summary>
    public static MlpFitResult Train(IHost host, MlpOptions options, MlpTask task, TrainContext context,
        Func<MlpFitResult, DataViewSchema, ITransformer> transformer)
    {
        host.CheckValue(context, nameof(context));
        options.Validate(); // again: the options object may have changed since the trainer was made
        IDataView? validation = context.ValidationSet?.Data ?? options.ValidationData;
        var start = context.InitialPredictor switch
        {
            null => null,
            IMlpModel mlp when mlp.Training.Task == task => mlp,
            CalibratedModelParametersBase { SubModel: IMlpModel mlp } when mlp.Training.Task == task => mlp,
            var other => throw host.Except($"Cannot continue training from a {other.GetType().Name}: the MLP trainer continues only its own models of the same task."),
        };
        int seed = options.Seed ?? start?.Training.Seed ?? host.Rand.Next();
        var trainSchema = context.TrainingSet.Data.Schema;
        return MlpFit.Run(host, options, task, context.TrainingSet.Data, validation, seed, start is null ? null : Resumable(start),
            result => transformer(result, trainSchema));
    }

    /// <summary>What a fit continues from: the layers as trained (a regression's before its standardisation is folded in).</summary>
    static MlpFitResult Resumable(IMlpModel model) => new(model is MlpScoreModelParameters score ? score.TrainedNetwork : model.Network,
        model.Training, model.OptimizerState, model.EarlyStoppingBest);
}
