using System.Runtime.CompilerServices;

namespace MlNetMnist.Trainers.Engines.Managed;

/// <summary>
/// Some rows of a <see cref="SparseFeatures"/>, in a given order, nothing copied: a sparse batch of a
/// <see cref="CompactDataset"/> for a consumer that copies the rows itself (<see cref="SparseViewCollator"/>).
/// Valid while the source and the row list are.
/// </summary>
public sealed class SparseRowsView : ISparseRows
{
    SparseFeatures _source;
    ReadOnlyMemory<int> _rows;

    /// <summary>Rows <paramref name="rows"/> of <paramref name="source"/>.</summary>
    public SparseRowsView(SparseFeatures source, ReadOnlyMemory<int> rows) => (_source, _rows) = (source, rows);

    public int FeatureCount => _source.FeatureCount;

    public int Rows => _rows.Length;

    // Per row of every batch, called through ISparseRows: optimized from the first call, which inlines the source's Row,
    // rather than a first few epochs of unoptimized code calling unoptimized code (about 20% of an epoch at batch 512).
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    public SparseRow Row(int row) => _source.Row(_rows.Span[row]);

    /// <summary>Shows other rows (of a source as wide), keeping this object: a collator reuses one batch after batch.</summary>
    internal void Show(SparseFeatures source, ReadOnlyMemory<int> rows)
    {
        if (source.FeatureCount != FeatureCount)
            throw new ArgumentException($"The source holds rows of {source.FeatureCount} features; these rows have {FeatureCount}.", nameof(source));
        (_source, _rows) = (source, rows);
    }
}
