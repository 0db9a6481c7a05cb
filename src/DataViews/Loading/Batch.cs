namespace MlNetMnist.DataViews;

/// <summary>
/// One minibatch as the DataLoader hands it out: a contiguous row-major feature block, or with
/// <see cref="DataLoaderOptions.Sparse"/> each row's nonzero features, and the labels.
/// A batch is valid until the enumerator that produced it moves on (its buffers are then recycled):
/// copy out whatever must outlive the loop body.
/// </summary>
public sealed class Batch
{
    public Batch(int index, int size, int featureCount, Memory<float> features, Memory<int> labels)
    {
        if (features.Length != size * featureCount)
            throw new ArgumentException($"Batch {index}: features hold {features.Length} values, expected {size} x {featureCount}.", nameof(features));
        if (labels.Length != size)
            throw new ArgumentException($"Batch {index}: {labels.Length} labels for {size} rows.", nameof(labels));
        Index = index;
        Size = size;
        FeatureCount = featureCount;
        _features = features;
        Labels = labels;
    }

    /// <summary>A batch of sparse rows: <paramref name="features"/> holds exactly <paramref name="size"/> rows.</summary>
    public Batch(int index, int size, ISparseRows features, Memory<int> labels)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.Rows != size)
            throw new ArgumentException($"Batch {index}: {features.Rows} sparse rows, expected {size}.", nameof(features));
        if (labels.Length != size)
            throw new ArgumentException($"Batch {index}: {labels.Length} labels for {size} rows.", nameof(labels));
        Index = index;
        Size = size;
        FeatureCount = features.FeatureCount;
        Sparse = features;
        Labels = labels;
    }

    /// <summary><paramref name="batch"/>'s rows with their targets and example weights (either may be empty).</summary>
    public Batch(Batch batch, Memory<float> targets, Memory<float> weights)
    {
        ArgumentNullException.ThrowIfNull(batch);
        (Index, Size, FeatureCount, _features, Sparse, Labels) = (batch.Index, batch.Size, batch.FeatureCount, batch._features, batch.Sparse, batch.Labels);
        Targets = targets;
        Weights = weights;
    }

    readonly Memory<float> _features;

    /// <summary>Position of this batch in its epoch, from 0.</summary>
    public int Index { get; }

    /// <summary>Rows in this batch (the last batch of an epoch may be smaller).</summary>
    public int Size { get; }

    /// <summary>Values per row.</summary>
    public int FeatureCount { get; }

    /// <summary>Size x FeatureCount values, row-major; a sparse batch has none (read <see cref="Sparse"/>, or <see cref="CopyFeaturesTo"/>).</summary>
    /// <exception cref="InvalidOperationException">The batch is sparse.</exception>
    public Memory<float> Features => Sparse is null ? _features
        : throw new InvalidOperationException($"Batch {Index} holds sparse features: read Batch.Sparse, or Batch.CopyFeaturesTo for a dense copy.");

    /// <summary>Each row's nonzero features when the loader was asked for sparse batches; null for a dense batch.</summary>
    public ISparseRows? Sparse { get; }

    /// <summary>Writes the features dense, Size x FeatureCount row-major, whichever form the batch holds.</summary>
    public void CopyFeaturesTo(Span<float> destination)
    {
        if (destination.Length < Size * FeatureCount)
            throw new ArgumentException($"Batch {Index} needs room for {Size} x {FeatureCount} values; got {destination.Length}.", nameof(destination));
        if (Sparse is null)
            _features.Span.CopyTo(destination);
        else
            for (int r = 0; r < Size; r++) Sparse.CopyTo(r, destination.Slice(r * FeatureCount, FeatureCount));
    }

    /// <summary>Class index (0-based) of each row (0 for a regression's rows).</summary>
    public Memory<int> Labels { get; }

    /// <summary>Each row's regression target; empty when the rows are classified.</summary>
    public Memory<float> Targets
    {
        get => _targets;
        init => _targets = PerRow(value, nameof(Targets));
    }

    /// <summary>Each row's example weight; empty when every row weighs 1.</summary>
    public Memory<float> Weights
    {
        get => _weights;
        init => _weights = PerRow(value, nameof(Weights));
    }

    readonly Memory<float> _targets, _weights;

    Memory<float> PerRow(Memory<float> values, string name) => values.IsEmpty || values.Length == Size ? values
        : throw new ArgumentException($"Batch {Index}: {values.Length} {name.ToLowerInvariant()} for {Size} rows.", name);
}
