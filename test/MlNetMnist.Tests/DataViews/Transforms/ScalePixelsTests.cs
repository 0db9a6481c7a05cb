using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMnist.DataViews;

namespace MlNetMnist.Tests.DataViews.Transforms;

[TestClass]
public sealed class ScalePixelsTests
{
    sealed class Pixels
    {
        [VectorType(3)] public byte[] Values { get; set; } = [];
    }

    sealed class Floats
    {
        [VectorType(3)] public float[] Values { get; set; } = [];
    }

    static readonly MLContext Ml = new(seed: 1);

    [TestMethod]
    public void Transform_DividesEachPixelBy255()
    {
        var data = Ml.Data.LoadFromEnumerable([new Pixels { Values = [0, 51, 255] }]);
        var scaled = Ml.Transforms.ScalePixels("Scaled", "Values").Fit(data).Transform(data);
        CollectionAssert.AreEqual(new[] { 0f, 51 / 255f, 1f }, scaled.GetColumn<float[]>("Scaled").Single());
    }

    sealed class AllBytes
    {
        [VectorType(300)] public byte[] Values { get; set; } = [];
    }

    [TestMethod]
    public void Transform_EveryByteValue_IsExactlyItsDivisionBy255()
    {
        // The dense path is vectorised, 64 values a step, then one at a time: every one of the 256 values must still be
        // the scalar IEEE division, bit for bit, in the steps and in the rest (300 is not a multiple of 64).
        byte[] all = Enumerable.Range(0, 300).Select(v => (byte)(v * 7)).ToArray();
        var data = Ml.Data.LoadFromEnumerable([new AllBytes { Values = all }]);
        var scaled = Ml.Transforms.ScalePixels("Scaled", "Values").Fit(data).Transform(data).GetColumn<float[]>("Scaled").Single();
        CollectionAssert.AreEqual(all.Select(v => v / 255f).ToArray(), scaled);
    }

    [TestMethod]
    public void OutputSchema_IsKnownWithoutData()
    {
        var empty = Ml.Data.LoadFromEnumerable(new List<Digit>());
        var schema = Ml.Transforms.ScalePixels().Fit(empty).GetOutputSchema(empty.Schema);
        var features = (VectorDataViewType)schema["Features"].Type;
        Assert.AreEqual(NumberDataViewType.Single, features.ItemType);
        Assert.AreEqual(784, features.Size);
    }

    [TestMethod]
    public void WrongInputType_IsASchemaMismatchNamingTheColumn()
    {
        var data = Ml.Data.LoadFromEnumerable([new Floats { Values = [1, 2, 3] }]);
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Ml.Transforms.ScalePixels("Scaled", "Values").Fit(data));
        StringAssert.Contains(e.Message, "'Values'");
        StringAssert.Contains(e.Message, "expected known-size vector of Byte");
    }

    [TestMethod]
    public void LoadableClasses_AreVisibleToTheRuntime()
    {
        // Without IgnoresAccessChecksTo, CoreCLR silently drops these attributes and no model of ours would load.
        var attributes = typeof(ScalePixelsTransformer).Assembly.GetCustomAttributes(false).Where(a => a.GetType().Name == "LoadableClassAttribute");
        Assert.AreEqual(2, attributes.Count());
    }

    [TestMethod]
    public void SavedZip_LoadsInAFreshProcess_WithBitIdenticalOutput()
    {
        using var dir = TestData.TempDirectory();
        var test = Ml.Data.TakeRows(TestData.Splits(Ml).Test, 100);
        var model = Ml.Transforms.ScalePixels().Fit(test);
        Ml.Model.Save(model, test.Schema, dir.File("scale.zip"));

        var (exitCode, error, output) = ModelProbe.Score(Ml, dir.File("scale.zip"), test, dir);

        Assert.AreEqual(0, exitCode, error);
        var expected = model.Transform(test).GetColumn<float[]>("Features").SelectMany(v => v).ToArray();
        var actual = output!.GetColumn<float[]>("Features").SelectMany(v => v).ToArray();
        CollectionAssert.AreEqual(expected.Select(BitConverter.SingleToInt32Bits).ToArray(), actual.Select(BitConverter.SingleToInt32Bits).ToArray());
    }

    [TestMethod]
    public void ZipFromANewerFormat_RaisesAClearError()
    {
        using var dir = TestData.TempDirectory();
        var test = Ml.Data.TakeRows(TestData.Splits(Ml).Test, 1);
        Ml.Model.Save(Ml.Transforms.ScalePixels().Fit(test), test.Schema, dir.File("scale.zip"));
        ZipEdits.BumpReadableVersion(dir.File("scale.zip"), "SCALEPIX");
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => Ml.Model.Load(dir.File("scale.zip"), out _));
        Exception inner = e;
        while (inner.InnerException is { } next) inner = next;
        Assert.IsInstanceOfType<FormatException>(inner);
        StringAssert.Contains(inner.Message, "cannont read component 'MlNetMnistScalePixels' of the model, because the model is too new."); // sic
    }

    [TestMethod]
    public void DamagedZip_RaisesAClearError()
    {
        using var dir = TestData.TempDirectory();
        File.WriteAllBytes(dir.File("bad.zip"), [.. "PK\u0003\u0004 not really a zip"u8]);
        var e = Assert.ThrowsExactly<FormatException>(() => Ml.Model.Load(dir.File("bad.zip"), out _));
        Assert.IsInstanceOfType<InvalidDataException>(e.InnerException, e.ToString()); // the zip reader's own
    }
}

/// <summary>Edits inside a saved model zip, to make one look newer or damaged.</summary>
internal static class ZipEdits
{
    /// <summary>
    /// Raises the "readable by" version of the model whose header carries <paramref name="signature"/>, as a zip
    /// written by a future format would: ML.NET's header holds the signature (8 bytes) then verWritten and verReadable.
    /// </summary>
    public static void BumpReadableVersion(string zipPath, string signature)
    {
        using var zip = ZipFile.Open(zipPath, ZipArchiveMode.Update);
        var sig = System.Text.Encoding.ASCII.GetBytes(signature);
        foreach (var entry in zip.Entries.Where(e => e.Name == "Model.key").ToList())
        {
            byte[] bytes;
            using (var read = entry.Open()) { var m = new MemoryStream(); read.CopyTo(m); bytes = m.ToArray(); }
            int at = bytes.AsSpan().IndexOf(sig);
            if (at < 0) continue;
            BitConverter.GetBytes(0x00020001u).CopyTo(bytes, at + 8);  // verWritten
            BitConverter.GetBytes(0x00020001u).CopyTo(bytes, at + 12); // verReadable
            string name = entry.FullName;
            entry.Delete();
            using var write = zip.CreateEntry(name).Open();
            write.Write(bytes);
            return;
        }
        throw new InvalidOperationException($"No model with signature {signature} in {zipPath}.");
    }
}
