using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMnist.DataViews;

namespace MlNetMnist.Host.Onnx;

/// <summary>
/// An exported MNIST model (.onnx) as an ITransformer scored by ONNX Runtime (ML.NET's ApplyOnnxModel), with the
/// columns <c>evaluate</c> and <c>predict</c> read from a model zip: Score, and PredictedDigit as text.
/// </summary>
public static class OnnxModel
{
    public static bool IsOnnx(string path) => Path.GetExtension(path).Equals(".onnx", StringComparison.OrdinalIgnoreCase);

    public static ITransformer Load(MLContext ml, string path)
    {
        var pixels = ml.Data.LoadFromEnumerable(Array.Empty<Digit>());
        // ONNX Runtime hands out every output as [rows x ...]: the digit comes as a 1 x 1 text tensor, made a string here.
        // Fitted one after the other: the ONNX estimator's schema shape does not show the outputs an EstimatorChain checks.
        var onnx = ml.Transforms.ApplyOnnxModel(path).Fit(pixels);
        var digit = ml.Transforms.CustomMapping<OnnxDigit, DigitText>((scored, text) => text.PredictedDigit = scored.PredictedDigit[0], null)
            .Fit(onnx.Transform(pixels));
        return onnx.Append(digit);
    }

    sealed class OnnxDigit
    {
        [VectorType(1, 1)]
        public string[] PredictedDigit { get; set; } = [];
    }

    sealed class DigitText
    {
        public string PredictedDigit { get; set; } = "";
    }
}
