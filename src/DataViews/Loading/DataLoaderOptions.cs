namespace MlNetMnist.DataViews;

/// <summary>Options of <see cref="DataLoader"/>, named as PyTorch's.</summary>
public sealed class DataLoaderOptions
{
    public int BatchSize { get; set; } = 50;

    /// <summary>A new permutation of the rows every epoch, from <see cref="Seed"/> and the epoch number.</summary>
    public bool Shuffle { get; set; }

    public int Seed { get; set; }

    /// <summary>Drop the last batch when it is short.</summary>
    public bool DropLast { get; set; }

    /// <summary>Threads that collate batches ahead of the consumer; 0 collates on the consumer's thread.</summary>
    public int NumWorkers { get; set; }

    /// <summary>Batches built ahead with workers; default 2 per worker. Bounds the loader's memory.</summary>
    public int? PrefetchDepth { get; set; }

    /// <summary>PyTorch's collate_fn: builds a batch's feature block and labels from row indices; default <see cref="Collates.Default"/>.</summary>
    public Collate Collate { get; set; } = Collates.Default;
}
