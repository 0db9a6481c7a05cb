using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMnist.DataViews;
using MlNetMnist.Host.Onnx;
using MlNetMnist.Trainers.Onnx;
using MlNetMnist.Trainers;

namespace MlNetMnist.Tests.Trainers.Onnx;

/// <summary>A step without ONNX export is named, wherever it stands; ML.NET's converter alone does not.</summary>
[TestClass]
public sealed class OnnxExportErrorTests
{
    sealed class ScaledRow
    {
        [VectorType(Digit.PixelCount)] public float[] Scaled { get; set; } = [];
    }

    sealed class ShiftedRow
    {
        [VectorType(Digit.PixelCount)] public float[] Shifted { get; set; } = [];
    }

    static readonly MlpOptions OneEpoch = new() { HiddenLayers = [8], Epochs = 1 };

    static IDataView Few(MLContext ml) => ml.Data.TakeRows(TestData.Splits(ml).Test, 500);

    static IEstimator<ITransformer> Invert(MLContext ml) =>
        ml.Transforms.CustomMapping<Digit, Digit>((input, output) => output.Pixels = input.Pixels.Select(p => (byte)(255 - p)).ToArray(), null);

    [TestMethod]
    public void LeadingStepWithoutExport_IsNamed()
    {
        var ml = new MLContext(seed: 1);
        var data = Few(ml);
        var model = Invert(ml).Append(ml.Transforms.ScalePixels("Features", "Pixels"))
            .Append(ml.MulticlassClassification.Trainers.Mlp(OneEpoch)).Fit(data);

        var e = Assert.ThrowsExactly<InvalidOperationException>(() => OnnxExport.Export(ml, model, data.Schema, new MemoryStream()));
        StringAssert.Contains(e.Message, "CustomMappingTransformer<Digit, Digit>");
        StringAssert.Contains(e.Message, "'Pixels'");
    }

    [TestMethod]
    public void OutputsNamed_LeaveOutTheStepsTheyDoNotNeed_AndAnUnknownOneIsNamed()
    {
        var ml = new MLContext(seed: 1);
        var data = Few(ml);
        var model = ml.Transforms.ScalePixels("Features", "Pixels").Append(ml.MulticlassClassification.Trainers.Mlp(OneEpoch))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedDigit", "PredictedLabel")).Fit(data);
        using var dir = TestData.TempDirectory();
        string path = dir.File("score.onnx");
        using (var stream = File.Create(path)) OnnxExport.Export(ml, model, data.Schema, stream, ["Score"]);
        string whole = dir.File("whole.onnx");
        using (var stream = File.Create(whole)) OnnxExport.Export(ml, model, data.Schema, stream);
        // MapKeyToValue's nodes (its LabelEncoder among them) are gone; the scorer's own stay.
        int LabelEncoders(string onnx) => OnnxExport.ReadGraph(onnx).Operators.Count(o => o == "LabelEncoder");
        Assert.IsLessThan(LabelEncoders(whole), LabelEncoders(path));
        Assert.IsLessThan(OnnxExport.ReadGraph(whole).Operators.Count, OnnxExport.ReadGraph(path).Operators.Count);
        using (var session = new Microsoft.ML.OnnxRuntime.InferenceSession(path))
            CollectionAssert.AreEqual(new[] { "Score.output" }, session.OutputMetadata.Keys.Where(k => !k.StartsWith("mlnet.", StringComparison.Ordinal)).ToArray(),
                "the converter's own placeholder outputs aside");

        var e = Assert.ThrowsExactly<ArgumentException>(() => OnnxExport.Export(ml, model, data.Schema, new MemoryStream(), ["Probability"]));
        StringAssert.Contains(e.Message, "'Probability'");
    }

    [TestMethod]
    public void LeadingStepWithoutExport_IsSilentlyLeftOutByConvertToOnnx_WhichIsWhyExportChecks()
    {
        var ml = new MLContext(seed: 1);
        var data = Few(ml);
        var model = Invert(ml).Append(ml.Transforms.ScalePixels("Features", "Pixels"))
            .Append(ml.MulticlassClassification.Trainers.Mlp(OneEpoch)).Fit(data);
        using var dir = TestData.TempDirectory();
        string path = dir.File("inverted.onnx");
        using (var stream = File.Create(path))
            ml.Model.ConvertToOnnx(model, data, stream); // no error: the graph starts at ScalePixels, the inversion is gone

        var expected = model.Transform(data).GetColumn<float[]>("Score").SelectMany(s => s).ToArray();
        var exported = ml.Transforms.ApplyOnnxModel(path).Fit(data).Transform(data).GetColumn<float[]>("Score").SelectMany(s => s).ToArray();
        float largest = expected.Zip(exported, (a, b) => Math.Abs(a - b)).Max();
        Assert.IsGreaterThan(1e-3f, largest, "the exported graph scores differently (100 times the 1e-5 an export keeps): it lacks the inversion");
    }

    [TestMethod]
    public void MiddleStepWithoutExport_IsNamed_WhereTheConverterSaysOnlyThatSomethingFailed()
    {
        var ml = new MLContext(seed: 1);
        var data = Few(ml);
        var model = ml.Transforms.ScalePixels("Scaled", "Pixels")
            .Append(ml.Transforms.CustomMapping<ScaledRow, ShiftedRow>((input, output) => output.Shifted = input.Scaled.Select(v => v - 0.5f).ToArray(), null))
            .Append(ml.Transforms.CopyColumns("Features", "Shifted"))
            .Append(ml.MulticlassClassification.Trainers.Mlp(OneEpoch)).Fit(data);

        var converter = Assert.ThrowsExactly<InvalidOperationException>(() => ml.Model.ConvertToOnnx(model, data, new MemoryStream()));
        StringAssert.Contains(converter.Message, "can not be fully converted");
        var ours = Assert.ThrowsExactly<InvalidOperationException>(() => OnnxExport.Export(ml, model, data.Schema, new MemoryStream()));
        StringAssert.Contains(ours.Message, "CustomMappingTransformer<ScaledRow, ShiftedRow>");
        StringAssert.Contains(ours.Message, "'Shifted'");
    }
}
