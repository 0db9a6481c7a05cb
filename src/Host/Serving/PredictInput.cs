using System.Text.Json;
using System.Globalization;
using MlNetMnist.DataViews;

namespace MlNetMnist.Host.Serving;

/// <summary>A POST /predict body as a <see cref="Digit"/>: an encoded image, or JSON {"pixels": [784 values in 0..255]}.</summary>
internal static class PredictInput
{
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

    /// <summary>
    /// Reads {"pixels": [...]} with a Utf8JsonReader straight into the digit: no float[] nor serializer metadata per
    /// request (this is the load test's hot path). Other properties are skipped; "NaN" and the like are read as numbers
    /// so that the range check names them.
    /// </summary>
    static Digit FromJson(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body);
        var digit = new Digit();
        int count = -1;
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw Malformed(reader);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool pixels = reader.ValueTextEquals("pixels"u8) || reader.GetString()!.Equals("pixels", StringComparison.OrdinalIgnoreCase);
                if (!reader.Read()) throw Malformed(reader);
                if (!pixels || reader.TokenType != JsonTokenType.StartArray)
                {
                    if (pixels) throw new BadRequestException("\"pixels\" must be an array of 784 values in 0..255.");
                    reader.Skip();
                    continue;
                }
                count = 0;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    float v = Number(ref reader, count);
                    if (count < Digit.PixelCount) digit.Pixels[count] = (byte)MathF.Round(v);
                    count++;
                }
            }
            if (reader.TokenType != JsonTokenType.EndObject || reader.Read()) throw Malformed(reader);
        }
        catch (JsonException)
        {
            throw Malformed(reader);
        }
        if (count < 0)
            throw new BadRequestException("The JSON body has no \"pixels\" array of 784 values in 0..255.");
        if (count != Digit.PixelCount)
            throw new BadRequestException($"\"pixels\" holds {count} values; expected {Digit.PixelCount} (28 x 28, row by row).");
        return digit;
    }

    static float Number(ref Utf8JsonReader reader, int index)
    {
        float v = reader.TokenType switch
        {
            JsonTokenType.Number when reader.TryGetSingle(out float n) => n,
            JsonTokenType.String when float.TryParse(reader.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out float n) => n,
            _ => throw new BadRequestException($"Pixel {index} is not a number; expected a number in 0..255."),
        };
        if (!(v is >= 0 and <= 255)) // NaN fails both comparisons
            throw new BadRequestException($"Pixel {index} is {v.ToString(CultureInfo.InvariantCulture)}; expected a number in 0..255.");
        return v;
    }

    static BadRequestException Malformed(Utf8JsonReader reader) =>
        new($"The JSON body is not {{\"pixels\": [784 numbers]}} (at byte {reader.BytesConsumed}).");
}

/// <summary>A request the server cannot serve: answered 400 with its message.</summary>
internal sealed class BadRequestException(string message) : Exception(message);
