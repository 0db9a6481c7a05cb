using System.IO.Compression;
using MlNetMnist.DataViews;

namespace MlNetMnist.Tests.DataViews.Mnist;

[TestClass]
public sealed class IdxFileTests
{
    static byte[] Idx(int rank, int[] dims, byte[] data, byte type = 0x08)
    {
        var bytes = new List<byte> { 0, 0, type, (byte)rank };
        foreach (int d in dims) bytes.AddRange(BitConverter.GetBytes(d).Reverse());
        bytes.AddRange(data);
        return bytes.ToArray();
    }

    static byte[] Images(int count) => Idx(3, [count, 2, 2], Enumerable.Range(0, count * 4).Select(i => (byte)i).ToArray());

    static byte[] Labels(params byte[] labels) => Idx(1, [labels.Length], labels);

    static void AssertFails(TempDirectory dir, byte[] images, byte[] labels, string expected, string badFile)
    {
        File.WriteAllBytes(dir.File("i"), images);
        File.WriteAllBytes(dir.File("l"), labels);
        var e = Assert.ThrowsExactly<InvalidDataException>(() => IdxImageSet.Read(dir.File("i"), dir.File("l")));
        StringAssert.Contains(e.Message, dir.File(badFile));
        StringAssert.Contains(e.Message, expected);
    }

    [TestMethod]
    public void Read_RawAndGzip_GiveTheSameItems()
    {
        using var dir = TestData.TempDirectory();
        File.WriteAllBytes(dir.File("raw"), Images(3));
        using (var gz = new GZipStream(File.Create(dir.File("packed")), CompressionLevel.Fastest))
            gz.Write(Images(3));

        var raw = IdxFile.Read(dir.File("raw"), 3);
        var packed = IdxFile.Read(dir.File("packed"), 3);

        CollectionAssert.AreEqual(new[] { 3, 2, 2 }, raw.Dimensions.ToArray());
        Assert.AreEqual(4, raw.ItemSize);
        CollectionAssert.AreEqual(new byte[] { 8, 9, 10, 11 }, raw.Item(2).ToArray());
        CollectionAssert.AreEqual(raw.Item(2).ToArray(), packed.Item(2).ToArray());
    }

    [TestMethod]
    public void Read_EmptyFile_NamesTheFile()
    {
        using var dir = TestData.TempDirectory();
        AssertFails(dir, [], Labels(1), "empty", "i");
    }

    [TestMethod]
    public void Read_TruncatedData_NamesTheFile()
    {
        using var dir = TestData.TempDirectory();
        AssertFails(dir, Images(3)[..^1], Labels(1, 2, 3), "truncated", "i");
    }

    [TestMethod]
    public void Read_TruncatedHeader_NamesTheFile()
    {
        using var dir = TestData.TempDirectory();
        AssertFails(dir, Images(3)[..6], Labels(1, 2, 3), "truncated", "i");
    }

    [TestMethod]
    public void Read_TruncatedGzip_NamesTheFile()
    {
        using var dir = TestData.TempDirectory();
        var stream = new MemoryStream();
        using (var gz = new GZipStream(stream, CompressionLevel.Fastest, leaveOpen: true))
            gz.Write(Images(200));
        AssertFails(dir, stream.ToArray()[..40], Labels(1), "the file is truncated: 17 data bytes, the header promises 800.", "i");
    }

    [TestMethod]
    public void Read_WrongMagic_NamesTheFile()
    {
        using var dir = TestData.TempDirectory();
        AssertFails(dir, Labels(1, 2, 3), Labels(1, 2, 3), "wrong magic number", "i");
        AssertFails(dir, [0x50, 0x4b, 3, 4, 0, 0, 0, 0], Labels(1), "wrong magic number", "i");
    }

    [TestMethod]
    public void Read_UnsupportedElementType_NamesTheFile()
    {
        using var dir = TestData.TempDirectory();
        AssertFails(dir, Idx(3, [1, 1, 1], [0, 0, 0, 0], type: 0x0D), Labels(1), "element type 0x0D", "i");
    }

    [TestMethod]
    public void Read_MismatchedCounts_NamesBothFiles()
    {
        using var dir = TestData.TempDirectory();
        AssertFails(dir, Images(3), Labels(1, 2), "3 images but 2 labels", "l");
    }

    [TestMethod]
    public void Read_LabelOutsideTheClasses_NamesTheFileAndItem()
    {
        using var dir = TestData.TempDirectory();
        AssertFails(dir, Images(3), Labels(1, 10, 3), "label 10 at item 1", "l");
    }

    [TestMethod]
    public void Read_TrailingBytes_NamesTheFile()
    {
        using var dir = TestData.TempDirectory();
        AssertFails(dir, [.. Images(3), 7], Labels(1, 2, 3), "follow", "i");
    }
}
