using BenchmarkDotNet.Attributes;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using MlNetMnist.DataViews;
using MlNetMnist.Trainers;
using MlNetMnist.Trainers.Engines.Managed;
using MlNetMnist.Trainers.Models;

namespace MlNetMnist.Benchmarks;

/// <summary>
/// Scoring the 10,000 MNIST test rows with the lesson's 784-50-10 model: our managed scorer (MlpNetwork.Predict, row
/// by row, as the ML.NET transformer calls it; baseline), the whole ML.NET pipeline (ScalePixels, MLP, MapKeyToValue
/// through a cursor), and the same pipeline exported to ONNX in ONNX Runtime, as one batch and row by row.
/// Each operation scores all 10,000 rows from their bytes to class probabilities and the predicted class.
/// </summary>
// In-process: a generated benchmark project would not carry ONNX Runtime's native library of this output folder.
[MemoryDiagnoser]
[InProcess]
public class OnnxScoringBenchmarks
{
    const int Pixels = Digit.PixelCount, Classes = 10;

    MLContext _ml = null!;
    ITransformer _model = null!;
    IDataView _test = null!;
    MlpNetwork _network = null!;
    MlpScorer _scorer = null!;
    byte[] _pixels = null!;
    int _rows;
    float[] _scores = null!;
    InferenceSession _session = null!;
    RunOptions _run = null!;
    string _onnx = null!;

    /// <summary>ONNX Runtime's intra-op threads; the managed scorer uses one.</summary>
    [Params(1, 2)]
    public int OrtThreads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _ml = new MLContext(seed: 1);
        var data = _ml.Data.LoadMnist(MnistFiles.EnsureAsync().GetAwaiter().GetResult());
        _model = _ml.Transforms.ScalePixels("Features", "Pixels")
            .Append(_ml.MulticlassClassification.Trainers.Mlp(new MlpOptions { HiddenLayers = [50], Epochs = 1 }))
            .Append(_ml.Transforms.Conversion.MapKeyToValue("PredictedDigit", "PredictedLabel"))
            .Fit(data.Train);
        _network = ((IEnumerable<ITransformer>)_model).OfType<MulticlassPredictionTransformer<MlpModelParameters>>().Single().Model.Network;
        _scorer = new MlpScorer(_network);
        _test = _ml.Data.Cache(data.Test);
        _pixels = _ml.Data.CreateEnumerable<Digit>(data.Test, reuseRowObject: false).SelectMany(d => d.Pixels).ToArray();
        _rows = _pixels.Length / Pixels;
        _scores = new float[_rows * Classes];

        _onnx = Path.Combine(Path.GetTempPath(), $"mlnet-mnist-bench-{Environment.ProcessId}.onnx");
        using (var stream = File.Create(_onnx))
            _ml.Model.ConvertToOnnx(_model, _ml.Data.LoadFromEnumerable(Array.Empty<Digit>()), stream, "PredictedLabel", "Score", "PredictedDigit");
        var options = new SessionOptions { IntraOpNumThreads = OrtThreads, InterOpNumThreads = 1 };
        _session = new InferenceSession(_onnx, options);
        _run = new RunOptions();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _session.Dispose();
        _run.Dispose();
        File.Delete(_onnx);
    }

    /// <summary>Returns the sum of predicted classes, so that no work is optimised away.</summary>
    [Benchmark(Baseline = true)]
    public long ManagedRowByRow()
    {
        long sum = 0;
        Span<float> features = stackalloc float[Pixels];
        for (int r = 0; r < _rows; r++)
        {
            var pixels = _pixels.AsSpan(r * Pixels, Pixels);
            for (int i = 0; i < Pixels; i++) features[i] = pixels[i] / 255f;
            var scores = _scores.AsSpan(r * Classes, Classes);
            _scorer.Predict(features, scores);
            sum += System.Numerics.Tensors.TensorPrimitives.IndexOfMax(scores);
        }
        return sum;
    }

    [Benchmark]
    public long MlNetPipeline()
    {
        var scored = _model.Transform(_test);
        using var cursor = scored.GetRowCursor([scored.Schema["Score"], scored.Schema["PredictedLabel"]]);
        var getScore = cursor.GetGetter<VBuffer<float>>(scored.Schema["Score"]);
        var getLabel = cursor.GetGetter<uint>(scored.Schema["PredictedLabel"]);
        VBuffer<float> score = default;
        uint label = 0;
        long sum = 0;
        while (cursor.MoveNext())
        {
            getScore(ref score);
            getLabel(ref label);
            sum += label - 1;
        }
        return sum;
    }

    [Benchmark]
    public long OnnxRuntimeOneBatch() => Score(0, _rows);

    [Benchmark]
    public long OnnxRuntimeRowByRow()
    {
        long sum = 0;
        for (int r = 0; r < _rows; r++) sum += Score(r, 1);
        return sum;
    }

    static readonly string[] Outputs = ["Score.output", "PredictedLabel.output"];

    long Score(int first, int count)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance,
            _pixels.AsMemory(first * Pixels, count * Pixels), [count, Pixels]);
        using var results = _session.Run(_run, ["Pixels"], [input], Outputs);
        long sum = 0;
        foreach (uint label in results[1].GetTensorDataAsSpan<uint>()) sum += label - 1;
        return sum;
    }
}
