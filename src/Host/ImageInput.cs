using MlNetMnist.DataViews;
using SkiaSharp;

namespace MlNetMnist.Host;

/// <summary>
/// Turns any picture of a digit into an MNIST-like 28 x 28 image: grey, white ink on black (inverted when the
/// background is light), cropped to the ink, scaled to fit 20 x 20 keeping its shape, and centred by its centre
/// of mass, as the MNIST images were made.
/// </summary>
internal static class ImageInput
{
    const int Side = 28, Box = 20;

    public static Digit ToDigit(string path)
    {
        using var bitmap = SKBitmap.Decode(path)
            ?? throw new InvalidDataException($"Image '{path}' could not be read (not a PNG, JPEG, GIF, BMP or WebP image?).");
        int w = bitmap.Width, h = bitmap.Height;
        var grey = new float[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                var p = bitmap.GetPixel(x, y);
                float luminance = (0.299f * p.Red + 0.587f * p.Green + 0.114f * p.Blue) / 255f;
                float alpha = p.Alpha / 255f;
                grey[y * w + x] = luminance * alpha + (1 - alpha); // transparent counts as white paper
            }
        // Ink is whatever differs from the background, taken from the border pixels.
        float border = BorderMean(grey, w, h);
        var ink = grey.Select(v => border > 0.5f ? 1 - v : v).ToArray();
        float threshold = 0.2f * ink.Max();
        int left = w, right = -1, top = h, bottom = -1;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                if (ink[y * w + x] > threshold)
                    (left, right, top, bottom) = (Math.Min(left, x), Math.Max(right, x), Math.Min(top, y), Math.Max(bottom, y));
        if (right < 0) throw new InvalidDataException($"Image '{path}' is blank: no digit found.");

        int cw = right - left + 1, ch = bottom - top + 1;
        double scale = (double)Box / Math.Max(cw, ch);
        int sw = Math.Max(1, (int)Math.Round(cw * scale)), sh = Math.Max(1, (int)Math.Round(ch * scale));
        var small = new float[sw * sh];
        for (int y = 0; y < sh; y++)
            for (int x = 0; x < sw; x++)
                small[y * sw + x] = AreaMean(ink, w, left + x / scale, top + y / scale, 1 / scale);

        double mass = small.Sum(), cx = 0, cy = 0;
        for (int y = 0; y < sh; y++)
            for (int x = 0; x < sw; x++) { cx += x * small[y * sw + x]; cy += y * small[y * sw + x]; }
        int ox = (int)Math.Round(Side / 2.0 - cx / mass), oy = (int)Math.Round(Side / 2.0 - cy / mass);
        ox = Math.Clamp(ox, 0, Side - sw);
        oy = Math.Clamp(oy, 0, Side - sh);
        var digit = new Digit();
        float max = small.Max();
        for (int y = 0; y < sh; y++)
            for (int x = 0; x < sw; x++)
                digit.Pixels[(oy + y) * Side + ox + x] = (byte)Math.Round(255 * small[y * sw + x] / max);
        return digit;
    }

    static float BorderMean(float[] grey, int w, int h)
    {
        double sum = 0;
        int count = 0;
        for (int x = 0; x < w; x++) { sum += grey[x] + grey[(h - 1) * w + x]; count += 2; }
        for (int y = 0; y < h; y++) { sum += grey[y * w] + grey[y * w + w - 1]; count += 2; }
        return (float)(sum / count);
    }

    /// <summary>Mean of the source pixels under one destination pixel (box filter), so shrinking keeps thin strokes.</summary>
    static float AreaMean(float[] source, int w, double x0, double y0, double size)
    {
        int h = source.Length / w;
        int xa = (int)x0, ya = (int)y0, xb = Math.Min(w, (int)Math.Ceiling(x0 + size)), yb = Math.Min(h, (int)Math.Ceiling(y0 + size));
        double sum = 0;
        int count = 0;
        for (int y = ya; y < Math.Max(yb, ya + 1) && y < h; y++)
            for (int x = xa; x < Math.Max(xb, xa + 1) && x < w; x++) { sum += source[y * w + x]; count++; }
        return count == 0 ? 0 : (float)(sum / count);
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
