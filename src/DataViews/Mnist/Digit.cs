using Microsoft.ML.Data;

namespace MlNetMnist.DataViews;

/// <summary>One MNIST image as PredictionEngine's input: 28 x 28 grey bytes, row by row, white digit on black.</summary>
public sealed class Digit
{
    public const int PixelCount = 784;

    [VectorType(PixelCount)]
    public byte[] Pixels { get; set; } = new byte[PixelCount];
}

/// <summary>
/// PredictionEngine's output for a pipeline that ends in <c>MapKeyToValue("PredictedDigit", "PredictedLabel")</c>:
/// the digit as the label's key value (text), and the probability of each class.
/// </summary>
public sealed class DigitPrediction
{
    public string PredictedDigit { get; set; } = "";

    public float[] Score { get; set; } = [];
}
