namespace MlNetMnist.DataViews;

/// <summary>Rows by index, as the lesson's Dataset: what a sampler's indices point into.</summary>
public interface IDataset
{
    /// <summary>Number of rows.</summary>
    int Count { get; }

    /// <summary>Values per row.</summary>
    int FeatureCount { get; }

    /// <summary>Copies row <paramref name="index"/>'s features into <paramref name="features"/> and returns its class index.</summary>
    int CopyRow(int index, Span<float> features);

    /// <summary>
    /// Appends row <paramref name="index"/>'s nonzero features to <paramref name="target"/> and returns its class
    /// index. By default the row is copied out dense and compressed; a dataset that keeps its rows sparse hands
    /// them over directly.
    /// </summary>
    int AppendSparseRow(int index, SparseFeatures target)
    {
        var row = System.Buffers.ArrayPool<float>.Shared.Rent(FeatureCount);
        try
        {
            int label = CopyRow(index, row.AsSpan(0, FeatureCount));
            target.AppendDense(row.AsSpan(0, FeatureCount));
            return label;
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(row);
        }
    }
}
