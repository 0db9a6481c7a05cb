using Microsoft.ML;
using MlNetMnist.DataViews;

namespace MlNetMnist.Trainers;

/// <summary>
/// The rows Fit reads, as batches: read into memory by the engine, in the form it trains from, when they fit in
/// <see cref="MlpOptions.MemoryBudgetBytes"/> (<see cref="InMemory"/>), else streamed from the IDataView every epoch
/// through a bounded shuffle buffer, so that memory stays flat whatever the row count.
/// </summary>
/// <see cref="IsRegression"/>: the label is a Single, read as each row's target.
internal sealed record TrainingRows(IBatchSource Batches, int FeatureCount, int ClassCount, long Count, IDataset? InMemory, bool IsRegression)
{
    /// <param name="data">The rows.</param>
    /// <param name="options">Columns, engine, memory budget and shuffle buffer.</param>
    /// <param name="batchSize">Rows per batch; null: the engine's evaluation batch size.</param>
    /// <param name="shuffle">Shuffle every epoch (training), or keep the view's order (validation).</param>
    /// <param name="seed">Seed of the shuffling.</param>
    public static TrainingRows Load(IDataView data, MlpOptions options, int? batchSize, bool shuffle, int seed)
    {
        var engine = options.Engine;
        if (engine.ReadRows(data, options.FeatureColumnName, options.LabelColumnName, options.MemoryBudgetBytes, options.ExampleWeightColumnName) is { } read)
            return InMemoryRows(read.Rows, read.ClassCount, options, batchSize, shuffle, seed);
        var stream = new StreamingBatchSource(data, batchSize ?? engine.EvaluationBatchSize, shuffle ? options.ShuffleBufferRows : 1, seed,
            options.FeatureColumnName, options.LabelColumnName, options.ExampleWeightColumnName);
        var (classCount, rows) = stream.CountClassesAndRows();
        return new(stream, stream.FeatureCount, classCount, rows, null, stream.IsRegression);
    }

    /// <summary>Rows in memory, batched as the engine wants them.</summary>
    public static TrainingRows InMemoryRows(IDataset rows, int classCount, MlpOptions options, int? batchSize, bool shuffle, int seed) =>
        new(options.Engine.Batches(rows, batchSize, shuffle, seed, options.NumWorkers), rows.FeatureCount, classCount, rows.Count, rows, rows.Values?.Targets is not null);
}
