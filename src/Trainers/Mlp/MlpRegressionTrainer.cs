using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers;

namespace MlNetMnist.Trainers;

/// <summary>
/// Trains an MLP regression (Linear, ReLU, ..., Linear to one output) by minibatch descent on the squared error (or
/// Huber loss) of the label standardised inside Fit; the standardisation is folded back into the last layer, so the
/// model scores raw targets. Fit returns ML.NET's own <see cref="RegressionPredictionTransformer{TModel}"/> (Score).
/// </summary>
public sealed class MlpRegressionTrainer : MlpTrainerBase<RegressionPredictionTransformer<MlpScoreModelParameters>, MlpScoreModelParameters>
{
    internal const string LoadName = "MlNetMnistMlpRegression";

    internal MlpRegressionTrainer(IHostEnvironment env, MlpOptions options)
        : base(env, LoadName, options, TrainerUtils.MakeR4ScalarColumn)
    {
    }

    private protected override MlpTask Task => MlpTask.Regression;

    protected override PredictionKind PredictionKind => PredictionKind.Regression;

    protected override SchemaShape.Column[] GetOutputColumnsCore(SchemaShape inputSchema) =>
    [
        new SchemaShape.Column(DefaultColumnNames.Score, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false,
            new SchemaShape(AnnotationUtils.GetTrainerOutputAnnotation())),
    ];

    protected override RegressionPredictionTransformer<MlpScoreModelParameters> MakeTransformer(MlpScoreModelParameters model, DataViewSchema trainSchema)
        => new(Host, model, trainSchema, FeatureColumn.Name);

    private protected override MlpScoreModelParameters Model(MlpFitResult fit) => new(Host, fit.Network, fit.Training, fit.State, fit.EarlyStoppingBest);
}
