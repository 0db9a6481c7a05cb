namespace MlNetMnist.DataViews;

/// <summary>
/// Each row's regression target and example weight, carried beside a dataset's features and labels (either may be
/// absent: classified rows have no target, unweighted rows weigh 1). Collators copy the batch's rows' values into
/// <see cref="Batch.Targets"/> and <see cref="Batch.Weights"/> (<see cref="RowValueBuffers"/>).
/// </summary>
public sealed class RowValues
{
    /// <param name="targets">Each row's regression target, or null.</param>
    /// <param name="weights">Each row's example weight, or null.</param>
    public RowValues(float[]? targets, float[]? weights)
    {
        if (targets is not null && weights is not null && targets.Length != weights.Length)
            throw new ArgumentException($"{targets.Length} targets and {weights.Length} weights: one of each per row.", nameof(weights));
        (Targets, Weights) = (targets, weights);
    }

    /// <summary>Each row's regression target; null when the rows are classified.</summary>
    public float[]? Targets { get; }

    /// <summary>Each row's example weight; null when every row weighs 1.</summary>
    public float[]? Weights { get; }

    /// <summary>The values of the rows at <paramref name="indices"/>, in that order.</summary>
    public RowValues Pick(IReadOnlyList<int> indices)
    {
        float[]? Of(float[]? values) => values is null ? null : indices.Select(i => values[i]).ToArray();
        return new RowValues(Of(Targets), Of(Weights));
    }

    /// <summary>The values read with the rows of a <see cref="RowReader"/>, collected as they come.</summary>
    public sealed class Builder(RowReader reader)
    {
        readonly List<float>? _targets = reader.IsRegression ? [] : null, _weights = reader.IsWeighted ? [] : null;

        /// <summary>Keeps the reader's current row's values.</summary>
        public void Add()
        {
            _targets?.Add(reader.Target);
            _weights?.Add(reader.Weight);
        }

        /// <summary>The values collected, or null when the reader has neither.</summary>
        public RowValues? Build() => _targets is null && _weights is null ? null : new RowValues(_targets?.ToArray(), _weights?.ToArray());
    }
}

/// <summary>
/// A collator's buffers for the targets and weights of one batch's rows: empty memory when the dataset has none, so a
/// batch of classified, unweighted rows carries nothing extra.
/// </summary>
public sealed class RowValueBuffers(IDataset dataset, int batchSize)
{
    readonly RowValues? _values = dataset.Values;
    readonly float[]? _targets = dataset.Values?.Targets is null ? null : new float[batchSize];
    readonly float[]? _weights = dataset.Values?.Weights is null ? null : new float[batchSize];

    /// <summary>The targets and weights of the rows at <paramref name="indices"/>.</summary>
    public (Memory<float> Targets, Memory<float> Weights) Fill(ReadOnlySpan<int> indices) =>
        (Pick(_values?.Targets, _targets, indices), Pick(_values?.Weights, _weights, indices));

    static Memory<float> Pick(float[]? source, float[]? buffer, ReadOnlySpan<int> indices)
    {
        if (source is null || buffer is null) return Memory<float>.Empty;
        for (int i = 0; i < indices.Length; i++) buffer[i] = source[indices[i]];
        return buffer.AsMemory(0, indices.Length);
    }
}
