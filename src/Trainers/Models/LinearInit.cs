namespace MlNetMnist.Trainers.Models;

/// <summary>
/// PyTorch's nn.Linear initialisation drawn in managed code from a seed: weights and biases uniform in
/// (-1/√fan_in, 1/√fan_in) (kaiming_uniform with a = √5 gives that bound for the weight). Every engine starts
/// from these arrays, so engines agree step for step, and the default engine needs no native library to start.
/// </summary>
public static class LinearInit
{
    /// <summary>An MLP of <paramref name="sizes"/> ([in, hidden..., classes]) with initial weights drawn from <paramref name="seed"/>.</summary>
    public static MlpNetwork Mlp(IReadOnlyList<int> sizes, int seed)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        if (sizes.Count < 2 || sizes.Any(s => s < 1))
            throw new ArgumentException($"An MLP needs at least two positive sizes; got [{string.Join(", ", sizes)}].", nameof(sizes));
        var random = new SplitMix64((ulong)(uint)seed);
        var weights = new float[sizes.Count - 1][];
        var biases = new float[sizes.Count - 1][];
        for (int l = 0; l < weights.Length; l++)
        {
            float bound = 1 / MathF.Sqrt(sizes[l]);
            weights[l] = Uniform(random, sizes[l + 1] * sizes[l], bound);
            biases[l] = Uniform(random, sizes[l + 1], bound);
        }
        return new MlpNetwork(sizes, weights, biases);
    }

    static float[] Uniform(SplitMix64 random, int count, float bound)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++) values[i] = (2 * random.NextFloat() - 1) * bound;
        return values;
    }

    /// <summary>
    /// SplitMix64 (Steele, Lea and Flood, 2014): a fixed, documented generator, so a seed gives the same weights on
    /// every runtime and machine (System.Random's seeded sequence is not promised across .NET versions).
    /// </summary>
    sealed class SplitMix64(ulong state)
    {
        public float NextFloat()
        {
            ulong z = state += 0x9E3779B97F4A7C15;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
            z ^= z >> 31;
            return (z >> 40) * (1f / (1 << 24)); // 24 random bits: uniform in [0, 1) on the float grid
        }
    }
}
