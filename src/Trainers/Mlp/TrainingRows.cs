using Microsoft.ML;
using MlNetMnist.DataViews;
using MlNetMnist.Trainers.Engines;

namespace MlNetMnist.Trainers;

/// <summary>
/// The rows Fit reads, as batches: copied into a <see cref="Dataset"/> (batches as the engine asks for them) when they
/// fit in <see cref="MlpOptions.MemoryBudgetBytes"/>, else streamed from the IDataView every epoch through a
/// bounded shuffle buffer, so that memory stays flat whatever the row count.
/// </summary>
internal sealed record TrainingRows(IBatchSource Batches, int FeatureCount, int ClassCount, long Count, bool IsRegression)
{
    /// <param name="data">The rows.</param>
    /// <param name="options">Columns, memory budget and shuffle buffer.</param>
    /// <param name="batchSize">Rows per batch; null: the engine's evaluation batch size.</param>
    /// <param name="shuffle">Shuffle every epoch (training), or keep the view's order (validation).</param>
    /// <param name="seed">Seed of the shuffling.</param>
    public static TrainingRows Load(IDataView data, MlpOptions options, int? batchSize, bool shuffle, int seed)
    {
        var engine = options.Engine;
        if (Dataset.TryFromDataView(data, options.MemoryBudgetBytes, out var dataset, options.FeatureColumnName, options.LabelColumnName, options.ExampleWeightColumnName))
            return In(dataset, options, batchSize, shuffle, seed);
        var stream = new StreamingBatchSource(data, batchSize ?? engine.EvaluationBatchSize, shuffle ? options.ShuffleBufferRows : 1, seed,
            options.FeatureColumnName, options.LabelColumnName, options.ExampleWeightColumnName);
        var (classCount, rows) = stream.CountClassesAndRows();
        return new(stream, stream.FeatureCount, classCount, rows, stream.IsRegression);
    }

    /// <summary>Rows already in memory, as batches the options' engine asks for.</summary>
    public static TrainingRows In(Dataset dataset, MlpOptions options, int? batchSize, bool shuffle, int seed) =>
        new(new DataLoader(dataset, options.Engine.LoaderOptions(dataset, batchSize, shuffle, seed, options.NumWorkers)),
            dataset.FeatureCount, dataset.ClassCount, dataset.Count, dataset.Targets is not null);
}
