namespace MlNetMnist.DataViews;

/// <summary>
/// Turns any picture of a digit into an MNIST-like 28 x 28 <see cref="Digit"/>: grey, white ink on black (inverted when
/// the background is light), cropped to the ink, scaled to fit 20 x 20 keeping its shape, and centred by its centre of
/// mass, as the MNIST images were made. Takes decoded pixels, so that any image library (or a canvas) can feed it.
/// </summary>
public static class MnistImage
{
    const int Side = 28, Box = 20;

    /// <summary>From 8-bit RGBA pixels, row by row, not premultiplied; transparent pixels count as white paper.</summary>
    /// <exception cref="InvalidDataException">The picture is blank (no ink).</exception>
    public static Digit FromRgba(ReadOnlySpan<byte> rgba, int width, int height)
    {
        CheckSize(width, height, rgba.Length, 4, nameof(rgba));
        var grey = new float[width * height];
        for (int i = 0; i < grey.Length; i++)
        {
            var p = rgba.Slice(4 * i, 4);
            float luminance = (0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2]) / 255f;
            float alpha = p[3] / 255f;
            grey[i] = luminance * alpha + (1 - alpha);
        }
        return FromGrey(grey, width, height);
    }

    /// <summary>From grey levels in [0, 1] (0 black, 1 white), row by row.</summary>
    /// <exception cref="InvalidDataException">The picture is blank (no ink).</exception>
    public static Digit FromGrey(ReadOnlySpan<float> grey, int width, int height)
    {
        CheckSize(width, height, grey.Length, 1, nameof(grey));
        int w = width, h = height;
        // Ink is whatever differs from the background, taken from the border pixels.
        bool lightBackground = BorderMean(grey, w, h) > 0.5f;
        var ink = new float[grey.Length];
        for (int i = 0; i < ink.Length; i++)
        {
            if (!float.IsFinite(grey[i]))
                throw new ArgumentException($"Grey level {i} is {grey[i]}; expected a number in [0, 1].", nameof(grey));
            ink[i] = lightBackground ? 1 - grey[i] : grey[i];
        }
        float threshold = 0.2f * ink.Max();
        int left = w, right = -1, top = h, bottom = -1;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                if (ink[y * w + x] > threshold)
                    (left, right, top, bottom) = (Math.Min(left, x), Math.Max(right, x), Math.Min(top, y), Math.Max(bottom, y));
        if (right < 0) throw new InvalidDataException("The image is blank: no digit found.");

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

    static void CheckSize(int width, int height, int length, int channels, string name)
    {
        if (width <= 0 || height <= 0)
            throw new ArgumentException($"The image is {width} x {height}; both sides must be positive.", name);
        if ((long)width * height * channels != length)
            throw new ArgumentException($"A {width} x {height} image needs {(long)width * height * channels} values, got {length}.", name);
    }

    static float BorderMean(ReadOnlySpan<float> grey, int w, int h)
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
}
