using Microsoft.ML;

namespace MlNetMnist.DataViews;

/// <summary>
/// Minibatches straight from an IDataView cursor, for data that does not fit in memory: rows pass through a
/// shuffle buffer of fixed size (a random row of the buffer leaves as each new row enters), so memory stays
/// the buffer plus one batch whatever the row count. Order is reproducible from (seed, epoch).
/// </summary>
public sealed class StreamingBatchSource : IBatchSource
{
    readonly IDataView _data;
    readonly string _featureColumn, _labelColumn;
    readonly string? _weightColumn;
    readonly int _batchSize, _bufferRows, _seed;

    public StreamingBatchSource(IDataView data, int batchSize, int shuffleBufferRows = 10_000, int seed = 0,
        string featureColumn = "Features", string labelColumn = "Label", string? weightColumn = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "Batch size must be at least 1.");
        if (shuffleBufferRows < 1) throw new ArgumentOutOfRangeException(nameof(shuffleBufferRows), shuffleBufferRows, "The shuffle buffer needs at least one row.");
        using (var reader = new RowReader(data, featureColumn, labelColumn, weightColumn)) // schema errors now, not at the first epoch
            (FeatureCount, IsRegression) = (reader.FeatureCount, reader.IsRegression);
        (_data, _batchSize, _bufferRows, _seed, _featureColumn, _labelColumn, _weightColumn) =
            (data, batchSize, shuffleBufferRows, seed, featureColumn, labelColumn, weightColumn);
    }

    /// <summary>Values per row.</summary>
    public int FeatureCount { get; }

    /// <summary>Whether the label is a regression target (<see cref="Batch.Targets"/>).</summary>
    public bool IsRegression { get; }

    /// <summary>The label's class count (its key count, or the largest integer label + 1) and the row count, from one pass over the label column alone.</summary>
    public (int ClassCount, long Rows) CountClassesAndRows()
    {
        using var reader = new RowReader(_data, _featureColumn, _labelColumn);
        return reader.CountClassesAndRows();
    }

    /// <summary>Batches per epoch when the view knows its row count; -1 otherwise.</summary>
    public int BatchCount => _data.GetRowCount() is long rows ? (int)((rows + _batchSize - 1) / _batchSize) : -1;

    public IEnumerable<Batch> Epoch(int epoch, CancellationToken cancellationToken = default)
    {
        using var reader = new RowReader(_data, _featureColumn, _labelColumn, _weightColumn);
        int f = reader.FeatureCount;
        float[]? bufferTargets = reader.IsRegression ? new float[_bufferRows] : null, batchTargets = reader.IsRegression ? new float[_batchSize] : null;
        float[]? bufferWeights = reader.IsWeighted ? new float[_bufferRows] : null, batchWeights = reader.IsWeighted ? new float[_batchSize] : null;
        void Keep(int at)
        {
            if (bufferTargets is not null) bufferTargets[at] = reader.Target;
            if (bufferWeights is not null) bufferWeights[at] = reader.Weight;
        }
        void Move(int from, int to, float[]? source, float[]? target)
        {
            if (source is not null) target![to] = source[from];
        }
        var random = new Random(Sampler.EpochSeed(_seed, epoch));
        var bufferFeatures = new float[_bufferRows * f];
        var bufferLabels = new int[_bufferRows];
        var batchFeatures = new float[_batchSize * f];
        var batchLabels = new int[_batchSize];
        int filled = 0, inBatch = 0, index = 0;
        while (filled < _bufferRows && reader.Next(bufferFeatures.AsSpan(filled * f, f), out bufferLabels[filled])) Keep(filled++);

        var incoming = new float[f];
        while (filled > 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int pick = random.Next(filled);
            bufferFeatures.AsSpan(pick * f, f).CopyTo(batchFeatures.AsSpan(inBatch * f, f));
            Move(pick, inBatch, bufferTargets, batchTargets);
            Move(pick, inBatch, bufferWeights, batchWeights);
            batchLabels[inBatch++] = bufferLabels[pick];
            if (reader.Next(incoming, out int label))
            {
                incoming.CopyTo(bufferFeatures.AsSpan(pick * f, f));
                bufferLabels[pick] = label;
                Keep(pick);
            }
            else
            {
                filled--; // the source is dry: move the last buffered row into the hole
                bufferFeatures.AsSpan(filled * f, f).CopyTo(bufferFeatures.AsSpan(pick * f, f));
                bufferLabels[pick] = bufferLabels[filled];
                Move(filled, pick, bufferTargets, bufferTargets);
                Move(filled, pick, bufferWeights, bufferWeights);
            }
            if (inBatch == _batchSize || filled == 0)
            {
                yield return new Batch(index++, inBatch, f, batchFeatures.AsMemory(0, inBatch * f), batchLabels.AsMemory(0, inBatch))
                {
                    Targets = batchTargets.AsMemory(0, batchTargets is null ? 0 : inBatch),
                    Weights = batchWeights.AsMemory(0, batchWeights is null ? 0 : inBatch),
                };
                inBatch = 0;
            }
        }
    }
}
