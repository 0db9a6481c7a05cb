namespace MlNetMnist.DataViews;

/// <summary>
/// One minibatch as the DataLoader hands it out: a contiguous row-major feature block and its labels.
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
        Features = features;
        Labels = labels;
    }

    /// <summary>Position of this batch in its epoch, from 0.</summary>
    public int Index { get; }

    /// <summary>Rows in this batch (the last batch of an epoch may be smaller).</summary>
    public int Size { get; }

    /// <summary>Values per row.</summary>
    public int FeatureCount { get; }

    /// <summary>Size x FeatureCount values, row-major.</summary>
    public Memory<float> Features { get; }

    /// <summary>Class index (0-based) of each row.</summary>
    public Memory<int> Labels { get; }
}
