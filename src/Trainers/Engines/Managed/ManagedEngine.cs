using Microsoft.ML;
using MlNetMnist.DataViews;
using MlNetMnist.Trainers.Models;

namespace MlNetMnist.Trainers.Engines.Managed;

/// <summary>
/// The default engine: <see cref="ManagedMlp"/>, the lesson's manual backward in managed SIMD code over each row's
/// nonzero inputs. Mostly-zero rows (at most half nonzero) are kept compact (<see cref="CompactDataset"/>) and batched
/// sparse (<see cref="SparseBatch"/>). On a machine of two cores or more its batches come as views of the dataset's rows
/// (the step copies them) with no loader worker: the engine's own threads take both cores, by rows in a large batch and
/// by layer shares in a small one (<see cref="ManagedMlp"/>), and a worker would preempt one of them every step (a
/// small batch's Adam epoch measured about 7% slower with it). On one core, one worker copies the next batch.
/// </summary>
public sealed class ManagedEngine : MlpEngine
{
    /// <summary>Above this share of nonzero values the compact copy of a row is the larger (8 bytes a value against 4).</summary>
    const double MaxCompactShare = 0.5;

    public static ManagedEngine Instance { get; } = new();

    ManagedEngine() { }

    public override string Name => "Managed";

    public override ITrainableMlp Create(MlpNetwork initial, MlpOptimizer optimizer, float learningRate, MlpOptimizerState? state = null, MlpHead? head = null) =>
        new ManagedMlp(initial, optimizer, learningRate, state: state, head: head);

    public override InMemoryRows? ReadRows(IDataView data, string featureColumn, string labelColumn, long maxBytes, string? weightColumn = null)
    {
        double share = CompactDataset.NonzeroShareOf(data, featureColumn, labelColumn);
        if (share > MaxCompactShare) return base.ReadRows(data, featureColumn, labelColumn, maxBytes, weightColumn);
        return CompactDataset.TryFromDataView(data, maxBytes, out var rows, featureColumn, labelColumn, weightColumn, share) ? new(rows, rows.ClassCount) : null;
    }

    public override IBatchSource Batches(IDataset rows, int? batchSize = null, bool shuffle = false, int seed = 0, int? workers = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var compact = rows as CompactDataset;
        if (compact is null && CompactDataset.NonzeroShareOf(rows) is var share && share <= MaxCompactShare)
            compact = CompactDataset.From(rows, classCount: 0, share);
        if (compact is null) return base.Batches(rows, batchSize, shuffle, seed, workers);
        var options = LoaderOptions(batchSize, shuffle, seed, workers);
        bool view = options.NumWorkers == 0 && MultiCore;
        return new DataLoader(compact, options, view
            ? () => new SparseViewCollator(compact, options.BatchSize)
            : () => new SparseCopyCollator(compact, options.BatchSize));
    }

    protected override int Workers(int batchSize) => MultiCore ? 0 : 1;

    static bool MultiCore => Environment.ProcessorCount > 1;
}
