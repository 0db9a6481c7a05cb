using System.Text.Json;
using System.Text.Json.Serialization;
using MlNetMnist.DataViews;

namespace MlNetMnist.Host.Serving;

/// <summary>A POST /predict body as a <see cref="Digit"/>: an encoded image, or JSON {"pixels": [784 values in 0..255]}.</summary>
internal static class PredictInput
{
    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNameCaseInsensitive = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals, // "NaN" reaches the range check and its message
    };

    sealed record PixelsBody(float[]? Pixels);

    /// <exception cref="BadRequestException">Empty, not an image, not the JSON we take, or pixels out of range.</exception>
    public static Digit Parse(ReadOnlySpan<byte> body)
    {
        if (body.IsEmpty)
            throw new BadRequestException("The request has no body: send a PNG or JPEG image, or JSON {\"pixels\": [784 values in 0..255]}.");
        int first = 0;
        while (first < body.Length && body[first] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n') first++;
        if (first < body.Length && body[first] is (byte)'{' or (byte)'[')
            return FromJson(body);
        try
        {
            return ImageInput.ToDigit(body, "The uploaded image");
        }
        catch (InvalidDataException e)
        {
            throw new BadRequestException(e.Message);
        }
    }

    static Digit FromJson(ReadOnlySpan<byte> body)
    {
        float[]? pixels;
        try
        {
            pixels = JsonSerializer.Deserialize<PixelsBody>(body, Json)?.Pixels;
        }
        catch (JsonException e)
        {
            throw new BadRequestException($"The JSON body is not {{\"pixels\": [784 numbers]}} (at {e.Path ?? "$"}, line {e.LineNumber + 1}).");
        }
        if (pixels is null)
            throw new BadRequestException("The JSON body has no \"pixels\" array of 784 values in 0..255.");
        if (pixels.Length != Digit.PixelCount)
            throw new BadRequestException($"\"pixels\" holds {pixels.Length} values; expected {Digit.PixelCount} (28 x 28, row by row).");
        var digit = new Digit();
        for (int i = 0; i < pixels.Length; i++)
        {
            float v = pixels[i];
            if (!(v is >= 0 and <= 255)) // NaN fails both comparisons
                throw new BadRequestException($"Pixel {i} is {v.ToString(System.Globalization.CultureInfo.InvariantCulture)}; expected a number in 0..255.");
            digit.Pixels[i] = (byte)MathF.Round(v);
        }
        return digit;
    }
}

/// <summary>A request the server cannot serve: answered 400 with its message.</summary>
internal sealed class BadRequestException(string message) : Exception(message);
