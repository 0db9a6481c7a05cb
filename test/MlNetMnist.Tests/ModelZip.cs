using System.IO.Compression;
using System.Security.Cryptography;

namespace MlNetMnist.Tests;

/// <summary>Surgery on the MLP's own entry inside a saved model zip: what a damaged or future file would hold.</summary>
internal static class ModelZip
{
    static readonly byte[] Signature = "MNISTMLP"u8.ToArray();

    /// <summary>The name and bytes of the Model.key entry whose header carries the MLP's signature.</summary>
    public static (string Name, byte[] Bytes, int SignatureAt) ReadMlpEntry(string zipPath)
    {
        using var zip = ZipFile.OpenRead(zipPath);
        foreach (var entry in zip.Entries.Where(e => e.Name == "Model.key"))
        {
            using var stream = entry.Open();
            var memory = new MemoryStream();
            stream.CopyTo(memory);
            byte[] bytes = memory.ToArray();
            int at = bytes.AsSpan().IndexOf(Signature);
            if (at >= 0) return (entry.FullName, bytes, at);
        }
        throw new InvalidOperationException($"No MLP model entry in {zipPath}.");
    }

    /// <summary>A copy of <paramref name="source"/> whose entry <paramref name="name"/> holds <paramref name="bytes"/>.</summary>
    public static void WriteWithEntry(string source, string target, string name, byte[] bytes)
    {
        File.Copy(source, target, overwrite: true);
        using var zip = ZipFile.Open(target, ZipArchiveMode.Update);
        zip.GetEntry(name)!.Delete();
        using var write = zip.CreateEntry(name).Open();
        write.Write(bytes);
    }

    /// <summary>
    /// A copy whose MLP header says it was written by format <paramref name="written"/> and is readable by
    /// <paramref name="readable"/>: ML.NET's header holds the signature (8 bytes), then verWritten and verReadable.
    /// </summary>
    public static void WriteWithVersions(string source, string target, uint written, uint readable)
    {
        var (name, bytes, at) = ReadMlpEntry(source);
        BitConverter.GetBytes(written).CopyTo(bytes, at + 8);
        BitConverter.GetBytes(readable).CopyTo(bytes, at + 12);
        WriteWithEntry(source, target, name, bytes);
    }

    /// <summary>
    /// Writes a fresh SHA-256 after the MLP's payload that starts at <paramref name="payloadAt"/> (its length is the int
    /// before it), as a save would have: damage made this way reaches the model's own checks instead of the checksum.
    /// </summary>
    public static void Reseal(byte[] entry, int payloadAt)
    {
        int length = BitConverter.ToInt32(entry, payloadAt - 4);
        SHA256.HashData(entry.AsSpan(payloadAt, length)).CopyTo(entry, payloadAt + length);
    }
}
