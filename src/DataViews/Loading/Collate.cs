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
