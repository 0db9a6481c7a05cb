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

    /// <summary>
    /// Hand out each row's nonzero features (<see cref="Batch.Sparse"/>) instead of a dense block: less to copy
    /// and to read for mostly-zero data and a model that skips zeros. The dataset supplies the rows
    /// (<see cref="IDataset.AppendSparseRow"/>), so a custom <see cref="Collate"/> does not apply.
    /// </summary>
    public bool Sparse { get; set; }

    /// <summary>
    /// With <see cref="Sparse"/> and an in-memory <see cref="Dataset"/>: a batch is a view of the dataset's rows
    /// instead of a copy, for a consumer that copies the rows itself where it uses them (nothing is left for workers
    /// to copy ahead, so it suits <see cref="NumWorkers"/> = 0).
    /// </summary>
    public bool ViewRows { get; set; }

    /// <summary>Builds a batch from row indices; default <see cref="Collates.Default"/>.</summary>
    public Collate Collate { get; set; } = Collates.Default;
}
