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
        byte[] bytes = ReadMaybeGzipped(path);
        if (bytes.Length == 0)
            throw Bad(path, "the file is empty");
        if (bytes.Length < 4)
            throw Bad(path, $"the file is truncated: {bytes.Length} bytes, too short for the 4-byte magic number");
        if (bytes[0] != 0 || bytes[1] != 0)
            throw Bad(path, $"wrong magic number 0x{BinaryPrimitives.ReadUInt32BigEndian(bytes):X8}: an IDX file starts with two zero bytes");
        if (bytes[2] != UnsignedByte)
            throw Bad(path, $"element type 0x{bytes[2]:X2} is not supported, only unsigned bytes (0x08)");
        int rank = bytes[3];
        if (rank != expectedRank)
            throw Bad(path, $"wrong magic number 0x{BinaryPrimitives.ReadUInt32BigEndian(bytes):X8}: {rank} dimensions, expected {expectedRank} (0x{0x800 + expectedRank:X8})");
        int header = 4 + 4 * rank;
        if (bytes.Length < header)
            throw Bad(path, $"the file is truncated inside its header ({bytes.Length} of {header} bytes)");
        var dims = new int[rank];
        long expected = 1;
        for (int i = 0; i < rank; i++)
        {
            uint size = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(4 + 4 * i));
            if (size > int.MaxValue)
                throw Bad(path, $"dimension {i} has an impossible size {size}");
            dims[i] = (int)size;
            expected *= size;
        }
        long actual = bytes.Length - header;
        if (actual < expected)
            throw Bad(path, $"the file is truncated: {actual} data bytes, the header promises {expected}");
        if (actual > expected)
            throw Bad(path, $"{actual - expected} bytes follow the {expected} data bytes the header promises");
        return new IdxFile(path, dims, bytes.AsSpan(header).ToArray());
    }

    static byte[] ReadMaybeGzipped(string path)
    {
        try
        {
            using var file = File.OpenRead(path);
            Span<byte> magic = stackalloc byte[2];
            int read = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false);
            file.Position = 0;
            using var memory = new MemoryStream();
            if (read == 2 && magic[0] == 0x1f && magic[1] == 0x8b)
            {
                using var gzip = new GZipStream(file, CompressionMode.Decompress);
                gzip.CopyTo(memory);
            }
            else
            {
                file.CopyTo(memory);
            }
            return memory.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw Bad(path, $"the gzip stream is damaged ({e.Message})");
        }
        catch (EndOfStreamException e)
        {
            throw Bad(path, $"the gzip stream is truncated ({e.Message})");
        }
    }

    internal static InvalidDataException Bad(string path, string what) => new($"IDX file '{path}': {what}.");
}
