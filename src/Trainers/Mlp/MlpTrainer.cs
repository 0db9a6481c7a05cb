using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers;
using MlNetMnist.Trainers.Learning.Callbacks;

namespace MlNetMnist.Trainers;

/// <summary>
/// Trains a multi-layer perceptron (Linear, ReLU, ..., Linear) by minibatch SGD on cross-entropy, the
/// fast.ai minibatch-training lesson as an ML.NET trainer. Fit returns ML.NET's own
/// <see cref="MulticlassPredictionTransformer{TModel}"/>, which appends Score (class probabilities) and
/// PredictedLabel (the label's key type), so Evaluate, MapKeyToValue and PredictionEngine work unchanged.
/// </summary>
public sealed class MlpTrainer : TrainerEstimatorBase<MulticlassPredictionTransformer<MlpModelParameters>, MlpModelParameters>
{
    internal const string LoadName = "MlNetMnistMlp";

    readonly MlpOptions _options;

    internal MlpTrainer(IHostEnvironment env, MlpOptions options)
        : base(Contracts.CheckRef(env, nameof(env)).Register(LoadName),
               TrainerUtils.MakeR4VecFeature(MlpTrainerCore.CheckOptions(options).FeatureColumnName),
               TrainerUtils.MakeU4ScalarColumn(options.LabelColumnName),
               TrainerUtils.MakeR4ScalarWeightColumn(options.ExampleWeightColumnName))
    {
        _options = options;
    }

    /// <inheritdoc/>
    public override TrainerInfo Info => MlpTrainerCore.Info;

    protected override PredictionKind PredictionKind => PredictionKind.MulticlassClassification;

    /// <summary>Trains on <paramref name="trainData"/>, reporting validation metrics on <paramref name="validationData"/> after each epoch.</summary>
    public MulticlassPredictionTransformer<MlpModelParameters> Fit(IDataView trainData, IDataView validationData)
        => TrainTransformer(trainData, validationData);

    /// <summary>
    /// Continues training <paramref name="modelParameters"/> (a model this trainer made, with the layer sizes these
    /// options and data make) on <paramref name="trainData"/>: from its weights and optimizer state, at the epoch after
    /// its last, up to <see cref="MlpOptions.Epochs"/> in all, its history extended. With the same data, seed (by
    /// default the model's), optimizer and schedule, stopping after N epochs and continuing to N+M gives the weights
    /// that training N+M at once gives (bit for bit with the managed engine).
    /// </summary>
    public MulticlassPredictionTransformer<MlpModelParameters> Fit(IDataView trainData, MlpModelParameters modelParameters)
    {
        Host.CheckValue(modelParameters, nameof(modelParameters));
        return TrainTransformer(trainData, _options.ValidationData, modelParameters);
    }

    /// <summary>
    /// fastai's LR finder on <paramref name="trainData"/>: from the options' initial weights, the rate grows
    /// exponentially over minibatches until the loss diverges; returns the loss-versus-rate curve and a suggested rate.
    /// Trains a throwaway copy; nothing is returned to score with.
    /// </summary>
    public LrFinderResult FindLearningRate(IDataView trainData, double start = 1e-7, double end = 10, int steps = 200)
        => MlpLrFind.Run(Host, _options, MlpTask.MulticlassClassification, trainData, start, end, steps);

    // Key labels of any count and integer labels are both accepted; the base class only knows one type.
    protected override void CheckLabelCompatible(SchemaShape.Column labelCol)
    {
        bool isKey = labelCol.Kind == SchemaShape.Column.VectorKind.Scalar && labelCol.IsKey;
        bool isInteger = labelCol.Kind == SchemaShape.Column.VectorKind.Scalar && !labelCol.IsKey && IsInteger(labelCol.ItemType);
        if (!isKey && !isInteger)
            throw Host.ExceptSchemaMismatch(nameof(labelCol), "label", LabelColumn.Name, "KeyType or integer", labelCol.GetTypeString());
    }

    static bool IsInteger(DataViewType type) =>
        type == NumberDataViewType.Byte || type == NumberDataViewType.SByte || type == NumberDataViewType.Int16 ||
        type == NumberDataViewType.UInt16 || type == NumberDataViewType.Int32 || type == NumberDataViewType.UInt32 ||
        type == NumberDataViewType.Int64 || type == NumberDataViewType.UInt64;

    protected override SchemaShape.Column[] GetOutputColumnsCore(SchemaShape inputSchema)
    {
        inputSchema.TryFindColumn(LabelColumn.Name, out var labelCol);
        var predictedLabelAnnotations = new SchemaShape(labelCol.Annotations
            .Where(a => a.Name == AnnotationUtils.Kinds.KeyValues)
            .Concat(AnnotationUtils.GetTrainerOutputAnnotation()));
        return
        [
            new SchemaShape.Column(DefaultColumnNames.Score, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single,
                false, new SchemaShape(AnnotationUtils.AnnotationsForMulticlassScoreColumn(labelCol))),
            new SchemaShape.Column(DefaultColumnNames.PredictedLabel, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.UInt32,
                true, predictedLabelAnnotations),
        ];
    }

    protected override MulticlassPredictionTransformer<MlpModelParameters> MakeTransformer(MlpModelParameters model, DataViewSchema trainSchema)
        => new(Host, model, trainSchema, FeatureColumn.Name, LabelColumn.Name);

    protected override MlpModelParameters TrainModelCore(TrainContext context)
    {
        var trained = MlpTrainerCore.Train(Host, _options, MlpTask.MulticlassClassification, context, (fit, schema) => MakeTransformer(Model(fit), schema));
        return Model(trained);
    }

    MlpModelParameters Model(MlpFitResult fit) => new(Host, fit.Network, fit.Training, fit.State, fit.EarlyStoppingBest);
}
