using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Model.OnnxConverter;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers;
using MlNetMnist.Trainers;
using MlNetMnist.Trainers.Engines;
using MlNetMnist.Trainers.Engines.Managed;
using MlNetMnist.Trainers.Models;

[assembly: LoadableClass(typeof(MlpModelParameters), null, typeof(SignatureLoadModel),
    "MlNetMnist MLP predictor", MlpModelParameters.LoaderSignature)]

namespace MlNetMnist.Trainers;

/// <summary>
/// The model an <see cref="MlpTrainer"/> produces: the trained <see cref="MlpNetwork"/>, how it was trained and
/// its per-epoch history. Maps a feature vector to class probabilities; saves inside ML.NET's model zip and exports to
/// ONNX through <c>ml.Model.ConvertToOnnx</c> (<see cref="MlpOnnx"/>).
/// </summary>
public sealed class MlpModelParameters : ModelParametersBase<VBuffer<float>>, IValueMapper, ISingleCanSaveOnnx, IMlpModel
{
    internal const string LoaderSignature = "MlNetMnistMlpModel";

    /// <summary>The format this build writes. Bump it when the binary layout changes.</summary>
    public const uint FormatVersion = 0x00010002;

    /// <summary>The oldest format this build reads: 0x00010001, before the optimizer state was stored.</summary>
    const uint FirstFormat = 0x00010001;

    static VersionInfo GetVersionInfo() => new(
        modelSignature: "MNISTMLP",
        verWrittenCur: FormatVersion,
        verReadableCur: FormatVersion,
        verWeCanReadBack: FirstFormat,
        loaderSignature: LoaderSignature,
        loaderAssemblyName: typeof(MlpModelParameters).Assembly.FullName);

    readonly VectorDataViewType _inputType;
    readonly VectorDataViewType _outputType;
    readonly MlpScorer _scorer;

    internal MlpModelParameters(IHostEnvironment env, MlpNetwork network, MlpTrainingInfo training, MlpOptimizerState? optimizerState = null,
        MlpBestEpoch? earlyStoppingBest = null)
        : base(env, LoaderSignature)
    {
        Network = network;
        Training = training;
        StoredFormatVersion = FormatVersion;
        OptimizerState = optimizerState;
        EarlyStoppingBest = earlyStoppingBest;
        _inputType = new VectorDataViewType(NumberDataViewType.Single, network.InputSize);
        _outputType = new VectorDataViewType(NumberDataViewType.Single, network.ClassCount);
        _scorer = new MlpScorer(network);
    }

    MlpModelParameters(IHostEnvironment env, ModelLoadContext ctx)
        : base(env, LoaderSignature, ctx)
    {
        // *** Binary format (FormatVersion 0x00010002) ***
        // <base: int sizeof(float)>
        // int: payload length; the payload; byte[32]: its SHA-256, so that a changed byte is an error, not another model
        //   (ML.NET stores entries uncompressed and .NET's zip reader does not check their CRC).
        // The payload (FormatVersion 0x00010001 wrote it as it is, with no length or hash, and no optimizer state):
        //   int: layer size count n; int[n]: sizes
        //   per layer: float[out*in] weights, float[out] biases (little-endian)
        //   string: training info as JSON (options and per-epoch history)
        //   the optimizer state (OptimizerStateFormat), so that training can resume exactly
        //   optional, absent in zips of earlier builds (whose readers ignore it): byte 0 (none) or 1, then the early-stopping
        //   best epoch of a checkpoint: int epoch, its network as above, its optimizer state (OptimizerStateFormat)
        const string where = "MLP model in the model zip";
        StoredFormatVersion = ctx.Header.ModelVerWritten;
        (Network, Training, OptimizerState, EarlyStoppingBest) = MlpPayload.Read(ctx.Reader, where, sealedPayload: ctx.Header.ModelVerWritten >= 0x00010002);
        _inputType = new VectorDataViewType(NumberDataViewType.Single, Network.InputSize);
        _outputType = new VectorDataViewType(NumberDataViewType.Single, Network.ClassCount);
        _scorer = new MlpScorer(Network);
    }

    internal static MlpModelParameters Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        Contracts.CheckValue(env, nameof(env));
        env.CheckValue(ctx, nameof(ctx));
        ctx.CheckAtModel(GetVersionInfo());
        return new MlpModelParameters(env, ctx);
    }

    /// <summary>The format version the zip it was loaded from was written in (<see cref="FormatVersion"/> when trained here).</summary>
    public uint StoredFormatVersion { get; }

    /// <summary>The trained layers: sizes and weights.</summary>
    public MlpNetwork Network { get; }

    /// <summary>The options training ran with and its per-epoch metrics.</summary>
    public MlpTrainingInfo Training { get; }

    /// <summary>The optimizer's buffers and step count when training ended, to continue from; null in models of format 0x00010001.</summary>
    public MlpOptimizerState? OptimizerState { get; }

    /// <inheritdoc/>
    public MlpBestEpoch? EarlyStoppingBest { get; }

    protected override PredictionKind PredictionKind => PredictionKind.MulticlassClassification;

    protected override void SaveCore(ModelSaveContext ctx)
    {
        base.SaveCore(ctx);
        ctx.SetVersionInfo(GetVersionInfo());
        MlpPayload.Write(ctx.Writer, Network, Training, OptimizerState, EarlyStoppingBest);
    }

    bool ICanSaveOnnx.CanSaveOnnx(OnnxContext ctx) => true;

    bool ISingleCanSaveOnnx.SaveAsOnnx(OnnxContext ctx, string[] outputNames, string featureColumn) =>
        MlpOnnx.Save(ctx, Network, outputNames, featureColumn);

    DataViewType IValueMapper.InputType => _inputType;

    DataViewType IValueMapper.OutputType => _outputType;

    ValueMapper<TIn, TOut> IValueMapper.GetMapper<TIn, TOut>()
    {
        Host.Check(typeof(TIn) == typeof(VBuffer<float>) && typeof(TOut) == typeof(VBuffer<float>),
            "The MLP maps a float vector to a float vector.");
        ValueMapper<VBuffer<float>, VBuffer<float>> map = Map;
        return (ValueMapper<TIn, TOut>)(Delegate)map;
    }

    void Map(in VBuffer<float> features, ref VBuffer<float> probabilities)
    {
        var values = DenseFeatures.Of(features, Network.InputSize, Host);
        var editor = VBufferEditor.Create(ref probabilities, Network.ClassCount);
        _scorer.Predict(values, editor.Values);
        probabilities = editor.Commit();
    }
}
