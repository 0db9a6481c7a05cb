using System.Runtime.CompilerServices;

namespace MlNetMnist.DataViews;

/// <summary>
/// PyTorch's collate_fn: fills one batch's contiguous feature block [indices x FeatureCount] and labels from the
/// rows at <paramref name="indices"/>. Runs on worker threads when the loader has workers.
/// </summary>
public delegate void Collate(IDataset dataset, ReadOnlySpan<int> indices, Span<float> features, Span<int> labels);

public static class Collates
{
    /// <summary>Copies each row in order: the default.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // runs for every row of every epoch: no slow first tiers
    public static void Default(IDataset dataset, ReadOnlySpan<int> indices, Span<float> features, Span<int> labels)
    {
        int f = dataset.FeatureCount;
        for (int i = 0; i < indices.Length; i++)
            labels[i] = dataset.CopyRow(indices[i], features.Slice(i * f, f));
    }
}

/// <summary>
/// Makes batches into storage of its own, which the next batch it makes reuses: a <see cref="Collate"/> together with
/// the buffers it fills. The DataLoader holds one per batch in flight. The lesson's is <see cref="DenseCollator"/>;
/// a consumer that wants its batches in another form brings its own.
/// </summary>
public interface ICollator
{
    /// <summary>Batch <paramref name="index"/> of an epoch, from the rows at <paramref name="indices"/>.</summary>
    Batch Collate(int index, ArraySegment<int> indices);
}

/// <summary>Dense batches: a float block and labels of up to <paramref name="batchSize"/> rows, filled by <paramref name="collate"/>.</summary>
public sealed class DenseCollator(IDataset dataset, int batchSize, Collate collate) : ICollator
{
    readonly float[] _features = new float[batchSize * dataset.FeatureCount];
    readonly int[] _labels = new int[batchSize];
    readonly RowValueBuffers _values = new(dataset, batchSize);

    public Batch Collate(int index, ArraySegment<int> indices)
    {
        int n = indices.Count, f = dataset.FeatureCount;
        var features = _features.AsMemory(0, n * f);
        var labels = _labels.AsMemory(0, n);
        collate(dataset, indices, features.Span, labels.Span);
        var (targets, weights) = _values.Fill(indices);
        return new Batch(index, n, f, features, labels) { Targets = targets, Weights = weights };
    }
}
