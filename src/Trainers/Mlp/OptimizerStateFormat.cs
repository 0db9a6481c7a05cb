using MlNetMnist.Trainers.Engines;
using MlNetMnist.Trainers.Models;

namespace MlNetMnist.Trainers;

/// <summary>
/// The optimizer state's bytes in the model zip: byte 0 (none) or 1; then int kind, long steps, int buffer count,
/// and per buffer int length and float[length] (little-endian).
/// </summary>
internal static class OptimizerStateFormat
{
    public static void Write(BinaryWriter writer, MlpOptimizerState? state)
    {
        writer.Write(state is null ? (byte)0 : (byte)1);
        if (state is null) return;
        writer.Write((int)state.Kind);
        writer.Write(state.Steps);
        writer.Write(state.Moments.Count);
        foreach (var moment in state.Moments)
        {
            writer.Write(moment.Length);
            MlpNetwork.WriteFloats(writer, moment);
        }
    }

    /// <summary>Reads what <see cref="Write"/> wrote and checks that it fits a network of <paramref name="sizes"/>.</summary>
    public static MlpOptimizerState? Read(BinaryReader reader, IReadOnlyList<int> sizes, string where)
    {
        byte present = reader.ReadByte();
        if (present == 0) return null;
        if (present != 1) throw new InvalidDataException($"{where}: the optimizer state's marker is {present}.");
        var kind = (OptimizerKind)reader.ReadInt32();
        if (!Enum.IsDefined(kind)) throw new InvalidDataException($"{where}: unknown optimizer {(int)kind} in the optimizer state.");
        long steps = reader.ReadInt64();
        int count = reader.ReadInt32();
        int limit = 4 * (sizes.Count - 1);
        if (count < 0 || count > limit) throw new InvalidDataException($"{where}: the optimizer state holds {count} buffers; at most {limit} fit.");
        long largest = sizes.Zip(sizes.Skip(1), (a, b) => (long)a * b).Max();
        var moments = new float[count][];
        for (int i = 0; i < count; i++)
        {
            int length = reader.ReadInt32();
            if (length < 0 || length > largest) throw new InvalidDataException($"{where}: optimizer buffer {i} holds {length} values.");
            moments[i] = MlpNetwork.ReadFloats(reader, length, where);
        }
        var state = new MlpOptimizerState(kind, steps, moments);
        try
        {
            state.CheckFits(sizes, kind switch
            {
                OptimizerKind.Sgd => MlpOptimizer.Sgd(),
                OptimizerKind.Adam => MlpOptimizer.Adam(),
                _ => MlpOptimizer.AdamW(),
            });
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{where}: {e.Message}", e);
        }
        return state;
    }
}
