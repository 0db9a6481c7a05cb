using MlNetMnist.DataViews;
using SkiaSharp;

namespace MlNetMnist.Host;

/// <summary>Decodes image files with SkiaSharp for <see cref="MnistImage"/>, which makes them MNIST-like digits.</summary>
internal static class ImageInput
{
    const int Side = 28;

    /// <summary>Largest width or height decoded: a small compressed file can expand to gigabytes of pixels.</summary>
    public const int MaxSide = 4096;

    public static Digit ToDigit(string path)
    {
        using var data = SKData.Create(path)
            ?? throw new InvalidDataException($"Image '{path}' could not be read.");
        return ToDigit(data, $"Image '{path}'");
    }

    /// <summary>An encoded image held in memory (an upload); <paramref name="what"/> names it in errors.</summary>
    public static Digit ToDigit(ReadOnlySpan<byte> encoded, string what)
    {
        using var data = SKData.CreateCopy(encoded);
        return ToDigit(data, what);
    }

    static Digit ToDigit(SKData data, string what)
    {
        using var codec = SKCodec.Create(data)
            ?? throw new InvalidDataException($"{what} could not be read (not a PNG, JPEG, GIF, BMP or WebP image?).");
        var size = codec.Info;
        if (size.Width > MaxSide || size.Height > MaxSide)
            throw new InvalidDataException($"{what} is {size.Width} x {size.Height} pixels; the limit is {MaxSide} a side.");
        var info = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result is not (SKCodecResult.Success or SKCodecResult.IncompleteInput))
            throw new InvalidDataException($"{what} could not be decoded ({result}).");
        try
        {
            return MnistImage.FromRgba(bitmap.GetPixelSpan(), info.Width, info.Height);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{what}: {e.Message}", e);
        }
    }

    /// <summary>Writes an MNIST digit as a PNG, enlarged 8 times so that it can be seen.</summary>
    public static void SaveDigit(Digit digit, string path)
    {
        const int zoom = 8;
        using var bitmap = new SKBitmap(Side * zoom, Side * zoom, SKColorType.Gray8, SKAlphaType.Opaque);
        for (int y = 0; y < Side * zoom; y++)
            for (int x = 0; x < Side * zoom; x++)
            {
                byte v = digit.Pixels[y / zoom * Side + x / zoom];
                bitmap.SetPixel(x, y, new SKColor(v, v, v));
            }
        using var image = SKImage.FromBitmap(bitmap);
        using var png = image.Encode(SKEncodedImageFormat.Png, 100);
        using var file = File.Create(path);
        png.SaveTo(file);
    }
}
