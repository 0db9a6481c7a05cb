using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Model.OnnxConverter;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers;
using MlNetMnist.Trainers;
using MlNetMnist.Trainers.Engines;
using MlNetMnist.Trainers.Engines.Managed;
using MlNetMnist.Trainers.Models;

[assembly: LoadableClass(typeof(MlpScoreModelParameters), null, typeof(SignatureLoadModel),
    "MlNetMnist MLP score predictor", MlpScoreModelParameters.LoaderSignature)]

namespace MlNetMnist.Trainers;

/// <summary>
/// An MLP with one output, its Score: a regression's prediction on raw targets (<see cref="MlpRegressionTrainer"/>), or a
/// binary classifier's logit (<see cref="MlpBinaryTrainer"/> wraps it with ML.NET's fixed sigmoid calibrator for the
/// Probability). Maps a feature vector to a float; saves inside ML.NET's model zip (the multiclass model's payload) and
/// exports to ONNX as the layers' Gemm and Relu nodes.
/// </summary>
public sealed class MlpScoreModelParameters : ModelParametersBase<float>, IValueMapper, ISingleCanSaveOnnx, IMlpModel
{
    internal const string LoaderSignature = "MlNetMnistMlpScore";

    /// <summary>The format this build writes.</summary>
    public const uint FormatVersion = 0x00010001;

    static VersionInfo GetVersionInfo() => new(
        modelSignature: "MLPSCORE",
        verWrittenCur: FormatVersion,
        verReadableCur: FormatVersion,
        verWeCanReadBack: FormatVersion,
        loaderSignature: LoaderSignature,
        loaderAssemblyName: typeof(MlpScoreModelParameters).Assembly.FullName);

    const string Where = "MLP score model in the model zip";

    readonly VectorDataViewType _inputType;
    readonly MlpScorer _scorer;

    internal MlpScoreModelParameters(IHostEnvironment env, MlpNetwork network, MlpTrainingInfo training, MlpOptimizerState? optimizerState)
        : base(env, LoaderSignature)
    {
        if (network.ClassCount != 1) throw new ArgumentException($"A score model has one output; the network has {network.ClassCount}.", nameof(network));
        if (training.Task == MlpTask.MulticlassClassification) throw new ArgumentException("A score model is a regression or a binary classifier.", nameof(training));
        (Network, Training, OptimizerState) = (network, training, optimizerState);
        _inputType = new VectorDataViewType(NumberDataViewType.Single, network.InputSize);
        _scorer = new MlpScorer(network);
    }

    // *** Binary format *** <base: int sizeof(float)>, then MlpPayload's sealed payload.
    MlpScoreModelParameters(IHostEnvironment env, ModelLoadContext ctx)
        : base(env, LoaderSignature, ctx)
    {
        (Network, Training, OptimizerState) = MlpPayload.Read(ctx.Reader, Where);
        if (Network.ClassCount != 1 || Training.Task == MlpTask.MulticlassClassification)
            throw new InvalidDataException($"{Where} is damaged: a {Training.Task} model of {Network.ClassCount} outputs.");
        _inputType = new VectorDataViewType(NumberDataViewType.Single, Network.InputSize);
        _scorer = new MlpScorer(Network);
    }

    internal static MlpScoreModelParameters Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        Contracts.CheckValue(env, nameof(env));
        env.CheckValue(ctx, nameof(ctx));
        ctx.CheckAtModel(GetVersionInfo());
        return new MlpScoreModelParameters(env, ctx);
    }

    /// <inheritdoc/>
    public MlpNetwork Network { get; }

    /// <inheritdoc/>
    public MlpTrainingInfo Training { get; }

    /// <inheritdoc/>
    public MlpOptimizerState? OptimizerState { get; }

    protected override PredictionKind PredictionKind =>
        Training.Task == MlpTask.Regression ? PredictionKind.Regression : PredictionKind.BinaryClassification;

    protected override void SaveCore(ModelSaveContext ctx)
    {
        base.SaveCore(ctx);
        ctx.SetVersionInfo(GetVersionInfo());
        MlpPayload.Write(ctx.Writer, Network, Training, OptimizerState);
    }

    bool ICanSaveOnnx.CanSaveOnnx(OnnxContext ctx) => true;

    bool ISingleCanSaveOnnx.SaveAsOnnx(OnnxContext ctx, string[] outputNames, string featureColumn) =>
        MlpOnnx.SaveScore(ctx, Network, outputNames, featureColumn);

    DataViewType IValueMapper.InputType => _inputType;

    DataViewType IValueMapper.OutputType => NumberDataViewType.Single;

    ValueMapper<TIn, TOut> IValueMapper.GetMapper<TIn, TOut>()
    {
        Host.Check(typeof(TIn) == typeof(VBuffer<float>) && typeof(TOut) == typeof(float), "The MLP maps a float vector to a float.");
        ValueMapper<VBuffer<float>, float> map = Map;
        return (ValueMapper<TIn, TOut>)(Delegate)map;
    }

    void Map(in VBuffer<float> features, ref float score)
    {
        if (features.Length != Network.InputSize)
            throw Host.Except($"The MLP expects {Network.InputSize} features, got {features.Length}.");
        Span<float> output = stackalloc float[1];
        if (features.IsDense)
            _scorer.Forward(features.GetValues(), output);
        else
        {
            var dense = new float[features.Length];
            features.CopyTo(dense);
            _scorer.Forward(dense, output);
        }
        score = output[0];
    }
}
