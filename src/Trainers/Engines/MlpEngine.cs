using Microsoft.ML;
using MlNetMnist.DataViews;
using MlNetMnist.Trainers.Models;

namespace MlNetMnist.Trainers.Engines;

/// <summary>
/// A way to compute the MLP's training steps. Every engine trains the same model (Linear and ReLU layers), with the
/// same head and loss (<see cref="MlpHead"/>) and optimizer, from the same initial weights; they differ in how the arithmetic is done and in the form
/// they keep rows and batches in. The trainer, <c>bench</c>, the benchmarks and the tests reach an engine only through
/// this class: it reads the rows (<see cref="ReadRows"/>), makes their batches (<see cref="Batches"/>) and makes the
/// MLP (<see cref="Create(MlpNetwork, MlpOptimizer, float, MlpOptimizerState, MlpHead)"/>). By default rows are the lesson's
/// <see cref="Dataset"/> and batches come from the lesson's <see cref="DataLoader"/>.
/// </summary>
public abstract class MlpEngine
{
    /// <summary>The engine's name, stored in the model zip and accepted by <see cref="MlpEngines.Find"/> and the command line's --engine.</summary>
    public abstract string Name { get; }

    /// <summary>
    /// An MLP starting from <paramref name="initial"/>'s weights (copied), stepped by <paramref name="optimizer"/> at
    /// <paramref name="learningRate"/> (until a schedule sets another), its buffers and step count taken from
    /// <paramref name="state"/> when given (resuming), its outputs scored and its loss computed by <paramref name="head"/>
    /// (null: softmax cross-entropy).
    /// </summary>
    public abstract ITrainableMlp Create(MlpNetwork initial, MlpOptimizer optimizer, float learningRate, MlpOptimizerState? state = null, MlpHead? head = null);

    /// <summary>An MLP of <paramref name="sizes"/> ([in, hidden..., outputs]) initialised from <paramref name="seed"/> (<see cref="LinearInit"/>).</summary>
    public ITrainableMlp Create(IReadOnlyList<int> sizes, int seed, MlpOptimizer optimizer, float learningRate, MlpHead? head = null) =>
        Create(LinearInit.Mlp(sizes, seed), optimizer, learningRate, head: head);

    /// <summary>Rows per batch when only scoring (validation): large, since nothing is learned per batch.</summary>
    public virtual int EvaluationBatchSize => 1000;

    /// <summary>
    /// Reads <paramref name="data"/> into memory in the form this engine trains from, or null when the rows would take
    /// more than <paramref name="maxBytes"/> (the caller then streams them).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A column is missing or of the wrong type.</exception>
    /// <exception cref="InvalidDataException">A bad value; names the column and row.</exception>
    public virtual InMemoryRows? ReadRows(IDataView data, string featureColumn, string labelColumn, long maxBytes, string? weightColumn = null) =>
        Dataset.TryFromDataView(data, maxBytes, out var rows, featureColumn, labelColumn, weightColumn) ? new(rows, rows.ClassCount) : null;

    /// <summary>
    /// The batches of <paramref name="rows"/> this engine wants: <paramref name="batchSize"/> rows each
    /// (<see cref="EvaluationBatchSize"/> when null), shuffled every epoch or in order, built by
    /// <paramref name="workers"/> loader threads (null: what suits the engine, <see cref="Workers"/>).
    /// </summary>
    public virtual IBatchSource Batches(IDataset rows, int? batchSize = null, bool shuffle = false, int seed = 0, int? workers = null) =>
        new DataLoader(rows, LoaderOptions(batchSize, shuffle, seed, workers));

    /// <summary>The loader settings <see cref="Batches"/> describes.</summary>
    protected DataLoaderOptions LoaderOptions(int? batchSize, bool shuffle, int seed, int? workers)
    {
        int size = batchSize ?? EvaluationBatchSize;
        return new DataLoaderOptions { BatchSize = size, Shuffle = shuffle, Seed = seed, NumWorkers = workers ?? Workers(size) };
    }

    /// <summary>DataLoader workers that suit steps of <paramref name="batchSize"/> rows: by default one, which builds the next batch during the step.</summary>
    protected virtual int Workers(int batchSize) => 1;

    public override string ToString() => Name;
}

/// <summary>Rows an engine read into memory, and their class count (the label's key count, or the largest label + 1).</summary>
public sealed record InMemoryRows(IDataset Rows, int ClassCount);
