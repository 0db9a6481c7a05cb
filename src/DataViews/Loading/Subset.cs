namespace MlNetMnist.DataViews;

/// <summary>PyTorch's Subset: the rows of <paramref name="dataset"/> at <paramref name="indices"/>, in that order, nothing copied.</summary>
public sealed class Subset(IDataset dataset, IReadOnlyList<int> indices) : IDataset
{
    public int Count => indices.Count;

    public int FeatureCount => dataset.FeatureCount;

    public int CopyRow(int index, Span<float> features) => dataset.CopyRow(indices[index], features);

    /// <summary>The picked rows' targets and weights (a copy of those values, made once).</summary>
    public RowValues? Values => _values ??= dataset.Values?.Pick(indices);

    RowValues? _values;
}
