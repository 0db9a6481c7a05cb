using Microsoft.ML;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers;
using MlNetMnist.Trainers.Learning.Callbacks;

namespace MlNetMnist.Trainers;

/// <summary>
/// Trains an MLP binary classifier (one output, the logit) by minibatch descent on log-loss. As ML.NET's own linear
/// trainers do, the model is wrapped with a fixed Platt calibrator (slope -1, offset 0: exactly the sigmoid), so Fit
/// returns ML.NET's <see cref="BinaryPredictionTransformer{TModel}"/> with Score (the logit), Probability and
/// PredictedLabel (Score &gt; 0), and the calibrated Evaluate (AUC, log-loss) works.
/// </summary>
public sealed class MlpBinaryTrainer : TrainerEstimatorBase<BinaryPredictionTransformer<CalibratedModelParametersBase<MlpScoreModelParameters, PlattCalibrator>>,
    CalibratedModelParametersBase<MlpScoreModelParameters, PlattCalibrator>>
{
    internal const string LoadName = "MlNetMnistMlpBinary";

    readonly MlpOptions _options;

    internal MlpBinaryTrainer(IHostEnvironment env, MlpOptions options)
        : base(Contracts.CheckRef(env, nameof(env)).Register(LoadName),
               TrainerUtils.MakeR4VecFeature(MlpTrainerCore.CheckOptions(options).FeatureColumnName),
               TrainerUtils.MakeBoolScalarLabel(options.LabelColumnName),
               TrainerUtils.MakeR4ScalarWeightColumn(options.ExampleWeightColumnName))
    {
        _options = options;
    }

    /// <inheritdoc/>
    public override TrainerInfo Info => MlpTrainerCore.Info;

    protected override PredictionKind PredictionKind => PredictionKind.BinaryClassification;

    /// <summary>Trains on <paramref name="trainData"/>, reporting validation loss and accuracy on <paramref name="validationData"/> after each epoch.</summary>
    public BinaryPredictionTransformer<CalibratedModelParametersBase<MlpScoreModelParameters, PlattCalibrator>> Fit(IDataView trainData, IDataView validationData)
        => TrainTransformer(trainData, validationData);

    /// <summary>Continues training <paramref name="modelParameters"/> (a binary classifier this trainer made) up to <see cref="MlpOptions.Epochs"/> in all.</summary>
    public BinaryPredictionTransformer<CalibratedModelParametersBase<MlpScoreModelParameters, PlattCalibrator>> Fit(IDataView trainData,
        CalibratedModelParametersBase<MlpScoreModelParameters, PlattCalibrator> modelParameters)
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
        => MlpLrFind.Run(Host, _options, MlpTask.BinaryClassification, trainData, start, end, steps);

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

    protected override CalibratedModelParametersBase<MlpScoreModelParameters, PlattCalibrator> TrainModelCore(TrainContext context)
    {
        var trained = MlpTrainerCore.Train(Host, _options, MlpTask.BinaryClassification, context, (fit, schema) => MakeTransformer(Model(fit), schema));
        return Model(trained);
    }

    CalibratedModelParametersBase<MlpScoreModelParameters, PlattCalibrator> Model(MlpFitResult fit)
    {
        var logit = new MlpScoreModelParameters(Host, fit.Network, fit.Training, fit.State, fit.EarlyStoppingBest);
        // Probability = 1 / (1 + exp(slope·score + offset)) = sigmoid(score): the log-loss the network was trained on.
        return new ValueMapperCalibratedModelParameters<MlpScoreModelParameters, PlattCalibrator>(Host, logit, new PlattCalibrator(Host, slope: -1, offset: 0));
    }
}
