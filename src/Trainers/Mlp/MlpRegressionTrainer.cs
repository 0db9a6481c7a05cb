using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers;
using MlNetMnist.Trainers.Learning.Callbacks;

namespace MlNetMnist.Trainers;

/// <summary>
/// Trains an MLP regression (Linear, ReLU, ..., Linear to one output) by minibatch descent on the squared error (or
/// Huber loss) of the label standardised inside Fit; the standardisation is folded back into the last layer, so the
/// model scores raw targets. Fit returns ML.NET's own <see cref="RegressionPredictionTransformer{TModel}"/> (Score).
/// </summary>
public sealed class MlpRegressionTrainer : TrainerEstimatorBase<RegressionPredictionTransformer<MlpScoreModelParameters>, MlpScoreModelParameters>
{
    internal const string LoadName = "MlNetMnistMlpRegression";

    readonly MlpOptions _options;

    internal MlpRegressionTrainer(IHostEnvironment env, MlpOptions options)
        : base(Contracts.CheckRef(env, nameof(env)).Register(LoadName),
               TrainerUtils.MakeR4VecFeature(MlpTrainerCore.CheckOptions(options).FeatureColumnName),
               TrainerUtils.MakeR4ScalarColumn(options.LabelColumnName),
               TrainerUtils.MakeR4ScalarWeightColumn(options.ExampleWeightColumnName))
    {
        _options = options;
    }

    /// <inheritdoc/>
    public override TrainerInfo Info => MlpTrainerCore.Info;

    protected override PredictionKind PredictionKind => PredictionKind.Regression;

    /// <summary>Trains on <paramref name="trainData"/>, reporting validation loss and R² on <paramref name="validationData"/> after each epoch.</summary>
    public RegressionPredictionTransformer<MlpScoreModelParameters> Fit(IDataView trainData, IDataView validationData)
        => TrainTransformer(trainData, validationData);

    /// <summary>Continues training <paramref name="modelParameters"/> (a regression this trainer made) up to <see cref="MlpOptions.Epochs"/> in all.</summary>
    public RegressionPredictionTransformer<MlpScoreModelParameters> Fit(IDataView trainData, MlpScoreModelParameters modelParameters)
    {
        Host.CheckValue(modelParameters, nameof(modelParameters));
        return TrainTransformer(trainData, _options.ValidationData, modelParameters);
    }

    /// <summary>
    /// fastai's LR finder (on this task's loss) on <paramref name="trainData"/>: from the options' initial weights, the rate grows
    /// exponentially over minibatches until the loss diverges; returns the loss-versus-rate curve and a suggested rate.
    /// Trains a throwaway copy; nothing is returned to score with.
    /// </summary>
    public LrFinderResult FindLearningRate(IDataView trainData, double start = 1e-7, double end = 10, int steps = 200)
        => MlpLrFind.Run(Host, _options, MlpTask.Regression, trainData, start, end, steps);

    protected override SchemaShape.Column[] GetOutputColumnsCore(SchemaShape inputSchema) =>
    [
        new SchemaShape.Column(DefaultColumnNames.Score, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false,
            new SchemaShape(AnnotationUtils.GetTrainerOutputAnnotation())),
    ];

    protected override RegressionPredictionTransformer<MlpScoreModelParameters> MakeTransformer(MlpScoreModelParameters model, DataViewSchema trainSchema)
        => new(Host, model, trainSchema, FeatureColumn.Name);

    protected override MlpScoreModelParameters TrainModelCore(TrainContext context)
    {
        var trained = MlpTrainerCore.Train(Host, _options, MlpTask.Regression, context, (fit, schema) => MakeTransformer(Model(fit), schema));
        return Model(trained);
    }

    MlpScoreModelParameters Model(MlpFitResult fit) => new(Host, fit.Network, fit.Training, fit.State, fit.EarlyStoppingBest);
}
