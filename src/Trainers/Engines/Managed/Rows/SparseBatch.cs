using MlNetMnist.DataViews;

namespace MlNetMnist.Trainers.Engines.Managed;

/// <summary>A batch whose rows are kept as their nonzero values (<see cref="Rows"/>): what the managed engine trains on.</summary>
public sealed class SparseBatch(int index, ISparseRows rows, Memory<int> labels)
    : Batch(index, rows.Rows, rows.FeatureCount, labels)
{
    /// <summary>Each row's nonzero values and positions.</summary>
    public ISparseRows Rows { get; } = rows;

    /// <exception cref="InvalidOperationException">Always: the rows are sparse.</exception>
    public override Memory<float> Features =>
        throw new InvalidOperationException($"Batch {Index} holds sparse features: read SparseBatch.Rows, or Batch.CopyFeaturesTo for a dense copy.");

    /// <summary>Writes the rows out dense.</summary>
    public override void CopyFeaturesTo(Span<float> destination)
    {
        CheckRoom(destination);
        for (int r = 0; r < Size; r++) Rows.CopyTo(r, destination.Slice(r * FeatureCount, FeatureCount));
    }
}
