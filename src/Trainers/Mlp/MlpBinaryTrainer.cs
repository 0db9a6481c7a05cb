using Microsoft.ML;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers;

namespace MlNetMnist.Trainers;

/// <summary>
/// Trains an MLP binary classifier (one output, the logit) by minibatch descent on log-loss. As ML.NET's own linear
/// trainers do, the model is wrapped with a fixed Platt calibrator (slope -1, offset 0: exactly the sigmoid), so Fit
/// returns ML.NET's <see cref="BinaryPredictionTransformer{TModel}"/> with Score (the logit), Probability and
/// PredictedLabel (Score &gt; 0), and the calibrated Evaluate (AUC, log-loss) works.
/// </summary>
public sealed class MlpBinaryTrainer : MlpTrainerBase<BinaryPredictionTransformer<CalibratedModelParametersBase<MlpScoreModelParameters, PlattCalibrator>>,
    CalibratedModelParametersBase<MlpScoreModelParameters, PlattCalibrator>>
{
    internal const string LoadName = "MlNetMnistMlpBinary";

    internal MlpBinaryTrainer(IHostEnvironment env, MlpOptions options)
        : base(env, LoadName, options, TrainerUtils.MakeBoolScalarLabel)
    {
    }

    private protected override MlpTask Task => MlpTask.BinaryClassification;

    protected override PredictionKind PredictionKind => PredictionKind.BinaryClassification;

    protected override SchemaShape.Column[] GetOutputColumnsCore(SchemaShape inputSchema) =>
    [
        new SchemaShape.Column(DefaultColumnNames.Score, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false,
            new SchemaShape(AnnotationUtils.GetTrainerOutputAnnotation())),
        new SchemaShape.Column(DefaultColumnNames.Probability, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false,
            new SchemaShape(AnnotationUtils.GetTrainerOutputAnnotation(true))),
        new SchemaShape.Column(DefaultColumnNames.PredictedLabel, SchemaShape.Column.VectorKind.Scalar, BooleanDataViewType.Instance, false,
            new SchemaShape(AnnotationUtils.GetTrainerOutputAnnotation())),
    ];

    protected override BinaryPredictionTransformer<CalibratedModelParametersBase<MlpScoreModelParameters, PlattCalibrator>> MakeTransformer(
        CalibratedModelParametersBase<MlpScoreModelParameters, PlattCalibrator> model, DataViewSchema trainSchema)
        => new(Host, model, trainSchema, FeatureColumn.Name);

    private protected override CalibratedModelParametersBase<MlpScoreModelParameters, PlattCalibrator> Model(MlpFitResult fit)
    {
        var logit = new MlpScoreModelParameters(Host, fit.Network, fit.Training, fit.State, fit.EarlyStoppingBest);
        // Probability = 1 / (1 + exp(slope·score + offset)) = sigmoid(score): the log-loss the network was trained on.
        return new ValueMapperCalibratedModelParameters<MlpScoreModelParameters, PlattCalibrator>(Host, logit, new PlattCalibrator(Host, slope: -1, offset: 0));
    }
}
