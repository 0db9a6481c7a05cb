namespace MlNetMnist.DataViews;

/// <summary>
/// The lesson's Sampler: the indices 0..count-1 of one epoch, in order or shuffled. A shuffled epoch is a fresh
/// permutation that depends only on (seed, epoch), so any epoch can be reproduced on its own.
/// </summary>
public sealed class Sampler(int count, bool shuffle = false, int seed = 0)
{
    public int Count { get; } = count >= 0 ? count : throw new ArgumentOutOfRangeException(nameof(count));

    public bool Shuffle { get; } = shuffle;

    public int Seed { get; } = seed;

    public int[] Indices(int epoch)
    {
        var indices = new int[Count];
        for (int i = 0; i < indices.Length; i++) indices[i] = i;
        if (Shuffle)
            new Random(EpochSeed(Seed, epoch)).Shuffle(indices); // a seeded Random is the same on every run and machine
        return indices;
    }

    /// <summary>Mixes seed and epoch so that nearby pairs give unrelated streams (HashCode is per-process, so not used).</summary>
    internal static int EpochSeed(int seed, int epoch) => unchecked((int)((uint)seed * 2654435761u ^ ((uint)epoch + 1) * 40503u * 65537u));
}
