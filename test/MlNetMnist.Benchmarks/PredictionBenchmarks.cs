using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMnist.DataViews;
using MlNetMnist.Trainers;
using MlNetMnist.Trainers.Engines.Managed;
using MlNetMnist.Trainers.Models;

namespace MlNetMnist.Benchmarks;

/// <summary>
/// Scoring the saved default model (ScalePixels, 784-50-10 MLP, MapKeyToValue) on MNIST's 10,000 test digits, loaded
/// back from its zip as an app would: one row at a time through a PredictionEngine, and all rows through Transform.
/// Each benchmark scores every test row once: rows/s = 10,000 / time.
/// </summary>
[MemoryDiagnoser]
[InProcess] // as TrainingEpochBenchmarks: in this process, whose output folder the build prepared
public class PredictionBenchmarks
{
    const int Rows = 10_000;
    Digit[] _digits = null!;
    PredictionEngine<Digit, DigitPrediction> _engine = null!;
    ITransformer _model = null!;
    IDataView _test = null!, _cached = null!, _mnistTest = null!;
    float[][] _features = null!;
    MlpNetwork _network = null!;
    MlpScorer _scorer = null!;
    float[][] _plainWeights = null!, _plainBiases = null!, _plainOutputs = null!;
    float[] _plainProbabilities = null!;

    [GlobalSetup]
    public void Setup()
    {
        var ml = new MLContext(seed: 1);
        var data = ml.Data.LoadMnist(MnistFiles.EnsureAsync().GetAwaiter().GetResult());
        var trained = ml.Transforms.ScalePixels("Features", "Pixels")
            .Append(ml.MulticlassClassification.Trainers.Mlp(new MlpOptions()))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedDigit", "PredictedLabel"))
            .Fit(data.Train);
        string zip = Path.Combine(Path.GetTempPath(), $"prediction-benchmark-{Environment.ProcessId}.zip");
        ml.Model.Save(trained, data.Train.Schema, zip);
        _model = ml.Model.Load(zip, out _);
        File.Delete(zip);
        _digits = ml.Data.CreateEnumerable<Digit>(data.Test, reuseRowObject: false).Take(Rows).ToArray();
        _engine = ml.Model.CreatePredictionEngine<Digit, DigitPrediction>(_model);
        _test = ml.Data.LoadFromEnumerable(_digits);
        _cached = ml.Data.Cache(_test);
        ScoreAll(_cached); // fills the cache
        _mnistTest = data.Test;
        _features = _digits.Select(d => d.Pixels.Select(p => p / 255f).ToArray()).ToArray();
        _network = ((IEnumerable<ITransformer>)_model).OfType<MulticlassPredictionTransformer<MlpModelParameters>>().Single().Model.Network;
        _scorer = new MlpScorer(_network);
        _plainWeights = Enumerable.Range(0, _network.LayerCount).Select(_network.GetWeights).ToArray();
        _plainBiases = Enumerable.Range(0, _network.LayerCount).Select(_network.GetBiases).ToArray();
        _plainOutputs = _plainBiases.Select(b => new float[b.Length]).ToArray();
        _plainProbabilities = new float[_network.ClassCount];
    }

    /// <summary>PredictionEngine.Predict on each row, reusing one output object as a server's pooled engine would.</summary>
    [Benchmark(OperationsPerInvoke = Rows)]
    public float PredictionEnginePerRow()
    {
        var output = new DigitPrediction();
        float sum = 0;
        foreach (var digit in _digits)
        {
            _engine.Predict(digit, ref output);
            sum += output.Score[0];
        }
        return sum;
    }

    /// <summary>Transform over the 10,000 rows in memory (LoadFromEnumerable of Digit objects), reading every row's scores and predicted digit through a cursor.</summary>
    [Benchmark(OperationsPerInvoke = Rows)]
    public float BatchTransform() => ScoreAll(_test);

    /// <summary>
    /// Transform over the same objects held in ML.NET's cache (<c>ml.Data.Cache</c>), which, like the MNIST view, hands
    /// the scorer several cursors: ML.NET scores on both cores with no thread of its own splitting a single cursor.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Rows)]
    public float BatchTransformCached() => ScoreAll(_cached);

    /// <summary>Transform over the test split as the MNIST IDataView reads it from its IDX file: no objects per row.</summary>
    [Benchmark(OperationsPerInvoke = Rows)]
    public float BatchTransformMnistView() => ScoreAll(_mnistTest);

    float ScoreAll(IDataView rows)
    {
        var scored = _model.Transform(rows);
        using var cursor = scored.GetRowCursor([scored.Schema["Score"], scored.Schema["PredictedDigit"]]);
        var score = cursor.GetGetter<VBuffer<float>>(scored.Schema["Score"]);
        var digit = cursor.GetGetter<ReadOnlyMemory<char>>(scored.Schema["PredictedDigit"]);
        VBuffer<float> scores = default;
        ReadOnlyMemory<char> text = default;
        float sum = 0;
        while (cursor.MoveNext())
        {
            score(ref scores);
            digit(ref text);
            sum += scores.GetValues()[0] + text.Length;
        }
        return sum;
    }

    /// <summary>
    /// The baseline the other rows' ratios are against, run in the same process: the same network scored the plain way,
    /// each unit one TensorPrimitives.Dot over all its inputs (zeros included), then ReLU and softmax.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Rows, Baseline = true)]
    public float DotProductsPerRow()
    {
        float sum = 0;
        foreach (var features in _features)
        {
            ReadOnlySpan<float> input = features;
            for (int l = 0; l < _plainWeights.Length; l++)
            {
                int inputs = input.Length, outputs = _plainBiases[l].Length;
                var output = _plainOutputs[l];
                for (int j = 0; j < outputs; j++)
                {
                    float unit = _plainBiases[l][j] + TensorPrimitives.Dot(_plainWeights[l].AsSpan(j * inputs, inputs), input);
                    output[j] = l < _plainWeights.Length - 1 ? Math.Max(unit, 0f) : unit;
                }
                input = output;
            }
            TensorPrimitives.SoftMax(input, _plainProbabilities);
            sum += _plainProbabilities[0];
        }
        return sum;
    }

    /// <summary>MlpNetwork.Predict alone on the scaled rows: the arithmetic share of a PredictionEngine row.</summary>
    [Benchmark(OperationsPerInvoke = Rows)]
    public float NetworkPredictPerRow()
    {
        Span<float> probabilities = stackalloc float[10];
        float sum = 0;
        foreach (var features in _features)
        {
            _scorer.Predict(features, probabilities);
            sum += probabilities[0];
        }
        return sum;
    }
}
