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
/// exports to ONNX as the layers' Gemm and Relu nodes. A regression is trained on the standardised target: the zip keeps
/// the layers as trained (so that a continued fit starts from exactly them) and <see cref="Network"/> folds the
/// standardisation into the last layer on construction, the same arithmetic whether trained here or loaded.
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

    /// <param name="env">The host environment.</param>
    /// <param name="trained">The layers as trained (a regression's on the standardised target).</param>
    /// <param name="training">How they were trained.</param>
    /// <param name="optimizerState">The optimizer's state to continue from.</param>
    /// <param name="earlyStoppingBest">A checkpoint's best epoch so far (as trained), when it is not the last.</param>
    internal MlpScoreModelParameters(IHostEnvironment env, MlpNetwork trained, MlpTrainingInfo training, MlpOptimizerState? optimizerState,
        MlpBestEpoch? earlyStoppingBest = null)
        : base(env, LoaderSignature)
    {
        if (trained.ClassCount != 1) throw new ArgumentException($"A score model has one output; the network has {trained.ClassCount}.", nameof(trained));
        if (training.Task == MlpTask.MulticlassClassification) throw new ArgumentException("A score model is a regression or a binary classifier.", nameof(training));
        (TrainedNetwork, Training, OptimizerState, EarlyStoppingBest) = (trained, training, optimizerState, earlyStoppingBest);
        Network = OnRawTargets(trained, training);
        _inputType = new VectorDataViewType(NumberDataViewType.Single, trained.InputSize);
        _scorer = new MlpScorer(Network);
    }

    // *** Binary format *** <base: int sizeof(float)>, then MlpPayload's sealed payload (the layers as trained).
    MlpScoreModelParameters(IHostEnvironment env, ModelLoadContext ctx)
        : base(env, LoaderSignature, ctx)
    {
        (TrainedNetwork, Training, OptimizerState, EarlyStoppingBest) = MlpPayload.Read(ctx.Reader, Where);
        if (TrainedNetwork.ClassCount != 1 || Training.Task == MlpTask.MulticlassClassification)
            throw new InvalidDataException($"{Where} is damaged: a {Training.Task} model of {TrainedNetwork.ClassCount} outputs.");
        if (Training.Task == MlpTask.Regression && Training.Head is not { IsRegression: true })
            throw new InvalidDataException($"{Where} is damaged: a regression without its regression head (the target's standardisation).");
        Network = OnRawTargets(TrainedNetwork, Training);
        _inputType = new VectorDataViewType(NumberDataViewType.Single, Network.InputSize);
        _scorer = new MlpScorer(Network);
    }

    /// <summary>A regression's layers with the target's standardisation folded into the last one: a plain MLP on raw targets.</summary>
    static MlpNetwork OnRawTargets(MlpNetwork trained, MlpTrainingInfo training) =>
        training.Head is { IsRegression: true } head ? trained.WithOutputAffine(head.TargetScale, head.TargetMean) : trained;

    internal static MlpScoreModelParameters Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        Contracts.CheckValue(env, nameof(env));
        env.CheckValue(ctx, nameof(ctx));
        ctx.CheckAtModel(GetVersionInfo());
        return new MlpScoreModelParameters(env, ctx);
    }

    /// <inheritdoc/>
    public MlpNetwork Network { get; }

    /// <summary>The layers as trained: a regression's on the standardised target (what a continued fit starts from).</summary>
    internal MlpNetwork TrainedNetwork { get; }

    /// <inheritdoc/>
    public MlpTrainingInfo Training { get; }

    /// <inheritdoc/>
    public MlpOptimizerState? OptimizerState { get; }

    /// <inheritdoc/>
    public MlpBestEpoch? EarlyStoppingBest { get; }

    protected override PredictionKind PredictionKind =>
        Training.Task == MlpTask.Regression ? PredictionKind.Regression : PredictionKind.BinaryClassification;

    protected override void SaveCore(ModelSaveContext ctx)
    {
        base.SaveCore(ctx);
        ctx.SetVersionInfo(GetVersionInfo());
        MlpPayload.Write(ctx.Writer, TrainedNetwork, Training, OptimizerState, EarlyStoppingBest);
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
        Span<float> output = stackalloc float[1];
        _scorer.Forward(DenseFeatures.Of(features, Network.InputSize, Host), output);
        score = output[0];
    }
}
