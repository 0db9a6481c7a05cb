using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MlNetMnist.Trainers.Engines;
using MlNetMnist.Trainers.Models;

namespace MlNetMnist.Trainers;

/// <summary>
/// The MLP's entry in the model zip, for every task's model parameters: int payload length; the payload; byte[32] its
/// SHA-256, so that a changed byte is an error, not another model (ML.NET stores entries uncompressed and .NET's zip
/// reader does not check their CRC). The payload: the network as trained (<see cref="MlpNetwork"/>), the training info as
/// JSON, the optimizer state (<see cref="OptimizerStateFormat"/>), then, absent in zips of earlier builds (whose readers
/// ignore it), byte 0 (none) or 1 and a checkpoint's early-stopping best epoch: int epoch, its network, its optimizer state.
/// </summary>
internal static class MlpPayload
{
    public static void Write(BinaryWriter target, MlpNetwork network, MlpTrainingInfo training, MlpOptimizerState? state, MlpBestEpoch? best)
    {
        using var payload = new MemoryStream();
        using (var writer = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true))
        {
            network.Write(writer);
            writer.Write(JsonSerializer.Serialize(training));
            OptimizerStateFormat.Write(writer, state);
            writer.Write(best is null ? (byte)0 : (byte)1);
            if (best is not null)
            {
                writer.Write(best.Epoch);
                best.Network.Write(writer);
                OptimizerStateFormat.Write(writer, best.State);
            }
        }
        var bytes = payload.GetBuffer().AsSpan(0, checked((int)payload.Length));
        target.Write(bytes.Length);
        target.Write(bytes);
        target.Write(SHA256.HashData(bytes));
    }

    /// <summary>Reads what <see cref="Write"/> wrote, or with <paramref name="sealedPayload"/> false the first format's bare payload (no length, hash or optimizer state).</summary>
    public static (MlpNetwork Network, MlpTrainingInfo Training, MlpOptimizerState? State, MlpBestEpoch? Best) Read(BinaryReader source, string where,
        bool sealedPayload = true)
    {
        try
        {
            using var payload = sealedPayload ? ReadSealed(source, where) : null;
            var reader = payload ?? source;
            var network = MlpNetwork.Read(reader, where);
            var training = JsonSerializer.Deserialize<MlpTrainingInfo>(reader.ReadString())
                ?? throw new InvalidDataException($"{where}: the training info is empty.");
            var state = sealedPayload ? OptimizerStateFormat.Read(reader, network.LayerSizes, where) : null;
            var best = sealedPayload && reader.BaseStream.Position < reader.BaseStream.Length ? ReadBest(reader, network.LayerSizes, where) : null;
            return (network, training, state, best);
        }
        catch (Exception e) when (e is EndOfStreamException or JsonException or ArgumentException)
        {
            throw new InvalidDataException($"{where} is damaged: {e.Message}", e);
        }
    }

    /// <summary>Reads the optional early-stopping section: its marker (0 none, 1 present), then what <see cref="Write"/> wrote.</summary>
    static MlpBestEpoch? ReadBest(BinaryReader reader, IReadOnlyList<int> sizes, string where)
    {
        byte present = reader.ReadByte();
        if (present == 0) return null;
        if (present != 1) throw new InvalidDataException($"{where}: the early-stopping section's marker is {present}.");
        int epoch = reader.ReadInt32();
        if (epoch < 1) throw new InvalidDataException($"{where}: the early-stopping best epoch is {epoch}.");
        var network = MlpNetwork.Read(reader, where);
        if (!network.LayerSizes.SequenceEqual(sizes))
            throw new InvalidDataException($"{where}: the early-stopping best epoch's layers are {string.Join("-", network.LayerSizes)}, the model's {string.Join("-", sizes)}.");
        var state = OptimizerStateFormat.Read(reader, sizes, where)
            ?? throw new InvalidDataException($"{where}: the early-stopping best epoch has no optimizer state.");
        return new MlpBestEpoch(epoch, network, state);
    }

    /// <summary>Reads the payload's length, the payload and its SHA-256, and hands back a reader of the payload once the hash matches.</summary>
    static BinaryReader ReadSealed(BinaryReader reader, string where)
    {
        int length = reader.ReadInt32();
        if (length < 0) throw new InvalidDataException($"{where} is damaged: a payload of {length} bytes.");
        var payload = new MemoryStream();
        var buffer = new byte[81920];
        for (int left = length; left > 0;) // copied as it comes, so a damaged length cannot make a huge array up front
        {
            int read = reader.Read(buffer, 0, Math.Min(buffer.Length, left));
            if (read == 0) throw new InvalidDataException($"{where} is damaged: the payload ends early (truncated model).");
            payload.Write(buffer, 0, read);
            left -= read;
        }
        byte[] stored = reader.ReadBytes(SHA256.HashSizeInBytes); // loops over short reads, as a zip entry's stream gives
        if (stored.Length != SHA256.HashSizeInBytes)
            throw new InvalidDataException($"{where} is damaged: its checksum is missing (truncated model).");
        if (!SHA256.HashData(payload.GetBuffer().AsSpan(0, length)).AsSpan().SequenceEqual(stored))
            throw new InvalidDataException($"{where} is damaged: its SHA-256 does not match the one saved with it (the file changed after it was saved).");
        payload.Position = 0;
        return new BinaryReader(payload, Encoding.UTF8);
    }
}
