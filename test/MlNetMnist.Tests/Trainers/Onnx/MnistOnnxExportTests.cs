using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MlNetMnist.DataViews;
using MlNetMnist.Host.Onnx;
using MlNetMnist.Trainers.Onnx;
using MlNetMnist.Trainers;

namespace MlNetMnist.Tests.Trainers.Onnx;

/// <summary>The lesson's pipeline exported with ML.NET's converter, scored by ONNX Runtime against ML.NET on all 10,000 test rows.</summary>
[TestClass]
public sealed class MnistOnnxExportTests
{
    const float Tolerance = 1e-5f;

    static MLContext _ml = null!;
    static MnistSplits _data = null!;
    static ITransformer _model = null!;
    static TempDirectory _dir = null!;
    static string _onnx = null!;
    static Scores _expected = null!;

    [ClassInitialize]
    public static void TrainAndExport(TestContext _)
    {
        _ml = new MLContext(seed: 1);
        _data = TestData.Splits(_ml);
        _model = _ml.Transforms.ScalePixels("Features", "Pixels")
            .Append(_ml.MulticlassClassification.Trainers.Mlp(new MlpOptions { HiddenLayers = [50], Epochs = 3, BatchSize = 50, LearningRate = 0.5f }))
            .Append(_ml.Transforms.Conversion.MapKeyToValue("PredictedDigit", "PredictedLabel"))
            .Fit(_data.Train);
        _dir = TestData.TempDirectory();
        _onnx = _dir.File("mnist.onnx");
        using (var stream = File.Create(_onnx))
            OnnxExport.Export(_ml, _model, _data.Train.Schema, stream);
        _expected = Scores.Of(_model.Transform(_data.Test), "PredictedLabel", "Score", "PredictedDigit");
    }

    [ClassCleanup]
    public static void Cleanup() => _dir?.Dispose();

    [TestMethod]
    public void InferenceSession_AgreesWithMlNet_OnEveryTestRow()
    {
        using var session = new InferenceSession(_onnx);
        var pixels = _ml.Data.CreateEnumerable<Digit>(_data.Test, reuseRowObject: false).SelectMany(d => d.Pixels).ToArray();
        int rows = pixels.Length / Digit.PixelCount;
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("Pixels", new DenseTensor<byte>(pixels, [rows, Digit.PixelCount]))],
            ["PredictedLabel.output", "Score.output", "PredictedDigit.output"]);
        var labels = results[0].AsTensor<uint>().ToArray();
        var scores = results[1].AsTensor<float>().ToArray();
        var digits = results[2].AsTensor<string>().ToArray();

        Assert.AreEqual(10_000, rows);
        _expected.AssertSame(labels, scores, digits);
    }

    [TestMethod]
    public void ApplyOnnxModel_AgreesWithMlNet_OnEveryTestRow()
    {
        var scored = _ml.Transforms.ApplyOnnxModel(_onnx).Fit(_data.Test).Transform(_data.Test);
        var actual = Scores.Of(scored, "PredictedLabel", "Score", "PredictedDigit");
        _expected.AssertSame(actual.Labels, actual.Probabilities, actual.Digits);
    }

    [TestMethod]
    public void HostOnnxModel_EvaluatesAsTheZipDoes()
    {
        var zip = _ml.MulticlassClassification.Evaluate(_model.Transform(_data.Test));
        var onnx = _ml.MulticlassClassification.Evaluate(OnnxModel.Load(_ml, _onnx).Transform(_data.Test));
        Assert.AreEqual(zip.MicroAccuracy, onnx.MicroAccuracy);
        Assert.AreEqual(zip.LogLoss, onnx.LogLoss, 1e-5);
        var digit = _ml.Data.CreateEnumerable<Digit>(_data.Test, reuseRowObject: false).First();
        var prediction = _ml.Model.CreatePredictionEngine<Digit, DigitPrediction>(OnnxModel.Load(_ml, _onnx)).Predict(digit);
        Assert.AreEqual(_expected.Digits[0], prediction.PredictedDigit);
    }

    [TestMethod]
    public void Graph_IsOpset12_WithTheLessonsOperators_AndOnlyPixelsAsInput()
    {
        var (opsets, operators) = OnnxExport.ReadGraph(_onnx);
        Assert.AreEqual(OnnxExport.OpSet, opsets.Single(o => o.Domain == "").Version);
        foreach (var op in new[] { "Cast", "Div", "Gemm", "Relu", "Softmax", "ArgMax", "Add", "LabelEncoder" })
            CollectionAssert.Contains(operators.ToList(), op, $"graph: {string.Join(" ", operators)}");
        Assert.AreEqual(2, operators.Count(o => o == "Gemm")); // 784 -> 50 -> 10
        using var session = new InferenceSession(_onnx);
        CollectionAssert.AreEqual(new[] { "Pixels" }, session.InputMetadata.Keys.ToArray());
        CollectionAssert.AreEqual(new[] { -1, Digit.PixelCount }, session.InputMetadata["Pixels"].Dimensions);
    }

    [TestMethod]
    public void ConvertToOnnx_ExportsTheWholePipeline_AtEveryOpsetTheConverterTakes()
    {
        foreach (int opset in new[] { 9, 10, 11, 12 })
        {
            string path = _dir.File($"mnist-opset{opset}.onnx");
            using (var stream = File.Create(path))
                _ml.Model.ConvertToOnnx(_model, _data.Test, opset, stream); // ML.NET's own call: Label is an input too
            Assert.AreEqual(opset, OnnxExport.ReadGraph(path).OpSets.Single(o => o.Domain == "").Version);
            var scored = _ml.Transforms.ApplyOnnxModel(path).Fit(_data.Test).Transform(_data.Test);
            var actual = Scores.Of(scored, "PredictedLabel", "Score", "PredictedDigit"); // ApplyOnnxModel drops ".output"
            _expected.AssertSame(actual.Labels, actual.Probabilities, actual.Digits);
        }
    }
}

/// <summary>PredictedLabel (raw key), Score and the predicted label's key value of every row of a scored view.</summary>
internal sealed record Scores(uint[] Labels, float[] Probabilities, string[] Digits)
{
    public static Scores Of(IDataView scored, string label, string score, string digit)
    {
        var labels = new List<uint>();
        var probabilities = new List<float>();
        var digits = new List<string>();
        var columns = new[] { scored.Schema[label], scored.Schema[score], scored.Schema[digit] };
        using var cursor = scored.GetRowCursor(columns);
        var getLabel = Getter<uint>(cursor, columns[0]);
        var getScore = cursor.GetGetter<VBuffer<float>>(columns[1]);
        var getDigit = Getter<ReadOnlyMemory<char>>(cursor, columns[2]);
        VBuffer<float> buffer = default;
        while (cursor.MoveNext())
        {
            labels.Add(getLabel());
            getScore(ref buffer);
            probabilities.AddRange(buffer.DenseValues());
            digits.Add(getDigit().ToString());
        }
        return new Scores([.. labels], [.. probabilities], [.. digits]);
    }

    /// <summary>A scalar column, or ONNX Runtime's [1 x 1] vector of one.</summary>
    static Func<T> Getter<T>(DataViewRow row, DataViewSchema.Column column)
    {
        if (column.Type is VectorDataViewType)
        {
            var get = row.GetGetter<VBuffer<T>>(column);
            VBuffer<T> value = default;
            return () => { get(ref value); return value.GetItemOrDefault(0); };
        }
        var scalar = row.GetGetter<T>(column);
        return () => { T value = default!; scalar(ref value); return value; };
    }

    public void AssertSame(uint[] labels, float[] probabilities, string[] digits)
    {
        CollectionAssert.AreEqual(Labels, labels, "PredictedLabel");
        CollectionAssert.AreEqual(Digits, digits, "PredictedDigit");
        Assert.HasCount(Probabilities.Length, probabilities);
        int worst = Enumerable.Range(0, probabilities.Length).MaxBy(i => Math.Abs(probabilities[i] - Probabilities[i]));
        float difference = Math.Abs(probabilities[worst] - Probabilities[worst]);
        Console.WriteLine($"largest probability difference {difference:E2} at row {worst / (Probabilities.Length / Labels.Length)}");
        Assert.IsTrue(difference <= 1e-5f, $"largest probability difference {difference}"); // false for NaN too
    }
}
