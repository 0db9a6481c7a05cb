using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers;

namespace MlNetMnist.Trainers;

/// <summary>
/// Trains a multi-layer perceptron (Linear, ReLU, ..., Linear) by minibatch SGD on cross-entropy, the
/// fast.ai minibatch-training lesson as an ML.NET trainer. Fit returns ML.NET's own
/// <see cref="MulticlassPredictionTransformer{TModel}"/>, which appends Score (class probabilities) and
/// PredictedLabel (the label's key type), so Evaluate, MapKeyToValue and PredictionEngine work unchanged.
/// </summary>
public sealed class MlpTrainer : MlpTrainerBase<MulticlassPredictionTransformer<MlpModelParameters>, MlpModelParameters>
{
    internal const string LoadName = "MlNetMnistMlp";

    internal MlpTrainer(IHostEnvironment env, MlpOptions options)
        : base(env, LoadName, options, TrainerUtils.MakeU4ScalarColumn)
    {
    }

    private protected override MlpTask Task => MlpTask.MulticlassClassification;

    protected override PredictionKind PredictionKind => PredictionKind.MulticlassClassification;

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

    private protected override MlpModelParameters Model(MlpFitResult fit) => new(Host, fit.Network, fit.Training, fit.State, fit.EarlyStoppingBest);
}
