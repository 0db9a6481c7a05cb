namespace MlNetMnist.DataViews;

/// <summary>Something that yields an epoch of minibatches: the DataLoader, or a test double.</summary>
public interface IBatchSource
{
    /// <summary>Batches in one epoch.</summary>
    int BatchCount { get; }

    /// <summary>The batches of epoch <paramref name="epoch"/> (0-based; a shuffled order depends on the seed and the epoch).</summary>
    IEnumerable<Batch> Epoch(int epoch, CancellationToken cancellationToken = default);
}
