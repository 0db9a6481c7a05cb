using System.Runtime.CompilerServices;
using MlNetMnist.DataViews;

namespace MlNetMnist.Trainers.Engines.Managed;

/// <summary>Sparse batches of a <see cref="CompactDataset"/>: its rows' nonzero values copied into buffers of the collator's own, which a loader worker can fill ahead of the step.</summary>
internal sealed class SparseCopyCollator(CompactDataset data, int batchSize) : ICollator
{
    readonly SparseFeatures _rows = new(data.FeatureCount, batchSize, (int)Math.Min(Array.MaxLength - 64L, (long)batchSize * data.FeatureCount / 4));
    readonly int[] _labels = new int[batchSize];
    readonly RowValueBuffers _values = new(data, batchSize);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per batch, a loop over its rows
    public Batch Collate(int index, ArraySegment<int> indices)
    {
        _rows.Clear();
        var labels = _labels.AsMemory(0, indices.Count);
        for (int i = 0; i < indices.Count; i++)
        {
            _rows.AppendValid(data.Row(indices[i]));
            labels.Span[i] = data.Label(indices[i]);
        }
        var (targets, weights) = _values.Fill(indices);
        return new SparseBatch(index, _rows, labels) { Targets = targets, Weights = weights };
    }
}

/// <summary>Sparse batches that show a <see cref="CompactDataset"/>'s rows in the batch's order, nothing copied: for a step whose threads copy the rows where they use them.</summary>
internal sealed class SparseViewCollator(CompactDataset data, int batchSize) : ICollator
{
    readonly SparseRowsView _view = new(data.Rows, ReadOnlyMemory<int>.Empty);
    readonly int[] _labels = new int[batchSize];
    readonly RowValueBuffers _values = new(data, batchSize);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // per batch, a loop over its rows
    public Batch Collate(int index, ArraySegment<int> indices)
    {
        var labels = _labels.AsMemory(0, indices.Count);
        for (int i = 0; i < indices.Count; i++) labels.Span[i] = data.Label(indices[i]);
        _view.Show(data.Rows, indices);
        var (targets, weights) = _values.Fill(indices);
        return new SparseBatch(index, _view, labels) { Targets = targets, Weights = weights };
    }
}
