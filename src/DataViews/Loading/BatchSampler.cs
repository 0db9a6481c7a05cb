namespace MlNetMnist.DataViews;

/// <summary>The lesson's BatchSampler: a sampler's indices in chunks of <see cref="BatchSize"/>; DropLast drops a short tail.</summary>
public sealed class BatchSampler
{
    public BatchSampler(Sampler sampler, int batchSize, bool dropLast = false)
    {
        ArgumentNullException.ThrowIfNull(sampler);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "Batch size must be at least 1.");
        Sampler = sampler;
        BatchSize = batchSize;
        DropLast = dropLast;
    }

    public Sampler Sampler { get; }

    public int BatchSize { get; }

    public bool DropLast { get; }

    /// <summary>Batches per epoch.</summary>
    public int Count => DropLast ? Sampler.Count / BatchSize : (Sampler.Count + BatchSize - 1) / BatchSize;

    /// <summary>Epoch <paramref name="epoch"/>'s batches, as slices of one index array.</summary>
    public IEnumerable<ArraySegment<int>> Batches(int epoch)
    {
        int[] indices = Sampler.Indices(epoch);
        for (int b = 0; b < Count; b++)
            yield return new ArraySegment<int>(indices, b * BatchSize, Math.Min(BatchSize, indices.Length - b * BatchSize));
    }
}
