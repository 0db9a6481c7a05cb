using System.Buffers.Binary;
using System.IO.Compression;

namespace MlNetMnist.DataViews;

/// <summary>
/// One IDX file (the MNIST format): a magic number naming the element type and the number of dimensions,
/// big-endian dimension sizes, then the unsigned bytes. Raw or gzip-compressed (detected by content).
/// Only unsigned-byte files are read: that is what MNIST and Fashion-MNIST hold.
/// </summary>
public sealed class IdxFile
{
    const byte UnsignedByte = 0x08;

    IdxFile(string path, int[] dimensions, byte[] data)
    {
        Path = path;
        Dimensions = dimensions;
        Data = data;
        ItemSize = dimensions.Skip(1).Aggregate(1, (a, b) => a * b);
    }

    /// <summary>Where the file was read from.</summary>
    public string Path { get; }

    /// <summary>Size of each dimension: [count] for labels, [count, rows, columns] for images.</summary>
    public IReadOnlyList<int> Dimensions { get; }

    /// <summary>Number of items (the first dimension).</summary>
    public int Count => Dimensions[0];

    /// <summary>Bytes per item (the product of the other dimensions).</summary>
    public int ItemSize { get; }

    /// <summary>All items back to back.</summary>
    internal byte[] Data { get; }

    /// <summary>Item <paramref name="index"/>'s bytes.</summary>
    public ReadOnlySpan<byte> Item(int index) => Data.AsSpan(index * ItemSize, ItemSize);

    /// <summary>Reads and validates an IDX file of <paramref name="expectedRank"/> dimensions.</summary>
    /// <exception cref="InvalidDataException">The file is empty, truncated, too long, or not an unsigned-byte IDX file of that rank; the message names the file.</exception>
    public static IdxFile Read(string path, int expectedRank)
    {
        try
        {
            using var file = File.OpenRead(path);
            using var stream = IsGzip(file) ? new GZipStream(file, CompressionMode.Decompress) : (Stream)file;
            return Read(path, stream, expectedRank);
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith($"IDX file '{path}'"))
        {
            throw Bad(path, $"the gzip stream is damaged ({e.Message})");
        }
        catch (EndOfStreamException e)
        {
            throw Bad(path, $"the gzip stream is truncated ({e.Message})");
        }
    }

    static bool IsGzip(FileStream file)
    {
        Span<byte> magic = stackalloc byte[2];
        int read = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
        file.Position = 0;
        return read == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    }

    /// <summary>Header first, then the data straight into an array of the size it promises: no intermediate copies of the whole file.</summary>
    static IdxFile Read(string path, Stream stream, int expectedRank)
    {
        Span<byte> magic = stackalloc byte[4];
        int got = stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
        if (got == 0)
            throw Bad(path, "the file is empty");
        if (got < 4)
            throw Bad(path, $"the file is truncated: {got} bytes, too short for the 4-byte magic number");
        if (magic[0] != 0 || magic[1] != 0)
            throw Bad(path, $"wrong magic number 0x{BinaryPrimitives.ReadUInt32BigEndian(magic):X8}: an IDX file starts with two zero bytes");
        if (magic[2] != UnsignedByte)
            throw Bad(path, $"element type 0x{magic[2]:X2} is not supported, only unsigned bytes (0x08)");
        int rank = magic[3];
        if (rank != expectedRank)
            throw Bad(path, $"wrong magic number 0x{BinaryPrimitives.ReadUInt32BigEndian(magic):X8}: {rank} dimensions, expected {expectedRank} (0x{0x800 + expectedRank:X8})");
        int header = 4 + 4 * rank;
        var sizes = new byte[4 * rank];
        got = stream.ReadAtLeast(sizes, sizes.Length, throwOnEndOfStream: false);
        if (got < sizes.Length)
            throw Bad(path, $"the file is truncated inside its header ({4 + got} of {header} bytes)");
        var dims = new int[rank];
        long expected = 1;
        for (int i = 0; i < rank; i++)
        {
            uint size = BinaryPrimitives.ReadUInt32BigEndian(sizes.AsSpan(4 * i));
            if (size > int.MaxValue)
                throw Bad(path, $"dimension {i} has an impossible size {size}");
            dims[i] = (int)size;
            expected = Math.Min(expected * size, long.MaxValue / int.MaxValue); // saturates: no product of three sizes overflows
        }
        if (expected > Array.MaxLength)
            throw Bad(path, $"the header promises {string.Join(" x ", dims)} bytes, more than one array holds");
        if (stream.CanSeek && stream.Length - stream.Position < expected)
            throw Bad(path, $"the file is truncated: {stream.Length - stream.Position} data bytes, the header promises {expected}");
        var data = new byte[expected];
        got = stream.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
        if (got < expected)
            throw Bad(path, $"the file is truncated: {got} data bytes, the header promises {expected}");
        long extra = 0;
        var rest = new byte[4096];
        for (int n; (n = stream.Read(rest)) > 0;) extra += n;
        if (extra > 0)
            throw Bad(path, $"{extra} bytes follow the {expected} data bytes the header promises");
        return new IdxFile(path, dims, data);
    }

    internal static InvalidDataException Bad(string path, string what) => new($"IDX file '{path}': {what}.");
}
