using MlNetMnist.DataViews;

namespace MlNetMnist.Tests.DataViews.Images;

[TestClass]
public sealed class MnistImageTests
{
    const int Side = 28;

    /// <summary>A white 100 x 60 picture with a black vertical bar at columns 10..15, rows 5..54 (off centre).</summary>
    static float[] BarOnPaper(int width = 100, int height = 60)
    {
        var grey = Enumerable.Repeat(1f, width * height).ToArray();
        for (int y = 5; y < 55; y++)
            for (int x = 10; x < 16; x++) grey[y * width + x] = 0;
        return grey;
    }

    static (int Left, int Right, int Top, int Bottom, double Cx, double Cy) InkBox(Digit digit)
    {
        int left = Side, right = -1, top = Side, bottom = -1;
        double mass = 0, cx = 0, cy = 0;
        for (int y = 0; y < Side; y++)
            for (int x = 0; x < Side; x++)
            {
                byte v = digit.Pixels[y * Side + x];
                if (v == 0) continue;
                (left, right, top, bottom) = (Math.Min(left, x), Math.Max(right, x), Math.Min(top, y), Math.Max(bottom, y));
                mass += v; cx += x * v; cy += y * v;
            }
        return (left, right, top, bottom, cx / mass, cy / mass);
    }

    [TestMethod]
    public void DarkInkOnPaper_BecomesWhiteInkOnBlack_TwentyPixelsTall_CentredByMass()
    {
        var digit = MnistImage.FromGrey(BarOnPaper(), 100, 60);
        var box = InkBox(digit);
        Assert.AreEqual(20, box.Bottom - box.Top + 1, "the longer side fills the 20-pixel box");
        Assert.AreEqual(0, digit.Pixels[0], "the background is black");
        Assert.AreEqual(255, digit.Pixels.Max(), "the ink is white");
        Assert.AreEqual(14, box.Cx, 1.0, "centred by mass horizontally");
        Assert.AreEqual(14, box.Cy, 1.0, "centred by mass vertically");
    }

    [TestMethod]
    public void LightInkOnBlack_IsTakenAsItIs()
    {
        var inverted = BarOnPaper().Select(v => 1 - v).ToArray();
        CollectionAssert.AreEqual(MnistImage.FromGrey(BarOnPaper(), 100, 60).Pixels, MnistImage.FromGrey(inverted, 100, 60).Pixels);
    }

    [TestMethod]
    public void Rgba_TransparentPixelsCountAsPaper()
    {
        var grey = BarOnPaper();
        var rgba = new byte[grey.Length * 4];
        for (int i = 0; i < grey.Length; i++)
            if (grey[i] == 0) rgba[4 * i + 3] = 255; // opaque black ink; everything else transparent (0, 0, 0, 0)
        CollectionAssert.AreEqual(MnistImage.FromGrey(grey, 100, 60).Pixels, MnistImage.FromRgba(rgba, 100, 60).Pixels);
    }

    [TestMethod]
    public void BlankImage_IsRefused_SayingNoDigitWasFound()
    {
        var e = Assert.ThrowsExactly<InvalidDataException>(() => MnistImage.FromGrey(Enumerable.Repeat(1f, 400).ToArray(), 20, 20));
        StringAssert.Contains(e.Message, "no digit");
    }

    [TestMethod]
    public void WrongPixelCount_IsRefused_NamingBothSizes()
    {
        var e = Assert.ThrowsExactly<ArgumentException>(() => MnistImage.FromRgba(new byte[10], 2, 2));
        StringAssert.Contains(e.Message, "needs 16 values, got 10");
    }
}
