namespace MlNetMnist.DataViews;

/// <summary>
/// One minibatch as the DataLoader hands it out: the rows' features as one contiguous row-major block, and their
/// labels. A batch is valid until the enumerator that produced it moves on (its buffers are then reused): copy out
/// whatever must outlive the loop body. A batch that keeps its features another way derives from this one.
/// </summary>
public class Batch
{
    readonly Memory<float> _features;

    public Batch(int index, int size, int featureCount, Memory<float> features, Memory<int> labels)
        : this(index, size, featureCount, labels)
    {
        if (features.Length != size * featureCount)
            throw new ArgumentException($"Batch {index}: features hold {features.Length} values, expected {size} x {featureCount}.", nameof(features));
        _features = features;
    }

    /// <summary>For a derived batch that holds its features its own way (it overrides <see cref="Features"/> and <see cref="CopyFeaturesTo"/>).</summary>
    protected Batch(int index, int size, int featureCount, Memory<int> labels)
    {
        if (labels.Length != size)
            throw new ArgumentException($"Batch {index}: {labels.Length} labels for {size} rows.", nameof(labels));
        Index = index;
        Size = size;
        FeatureCount = featureCount;
        Labels = labels;
    }

    /// <summary>Position of this batch in its epoch, from 0.</summary>
    public int Index { get; }

    /// <summary>Rows in this batch (the last batch of an epoch may be smaller).</summary>
    public int Size { get; }

    /// <summary>Values per row.</summary>
    public int FeatureCount { get; }

    /// <summary>Size x FeatureCount values, row-major.</summary>
    public virtual Memory<float> Features => _features;

    /// <summary>Writes the features, Size x FeatureCount row-major, into <paramref name="destination"/>.</summary>
    public virtual void CopyFeaturesTo(Span<float> destination)
    {
        CheckRoom(destination);
        _features.Span.CopyTo(destination);
    }

    /// <summary>Throws unless <paramref name="destination"/> holds the whole batch.</summary>
    protected void CheckRoom(Span<float> destination)
    {
        if (destination.Length < Size * FeatureCount)
            throw new ArgumentException($"Batch {Index} needs room for {Size} x {FeatureCount} values; got {destination.Length}.", nameof(destination));
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
