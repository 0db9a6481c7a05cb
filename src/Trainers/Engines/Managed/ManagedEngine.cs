using Microsoft.ML;
using MlNetMnist.DataViews;
using MlNetMnist.Trainers.Models;

namespace MlNetMnist.Trainers.Engines.Managed;

/// <summary>
/// The default engine: <see cref="ManagedMlp"/>, the lesson's manual backward in managed SIMD code over each row's
/// nonzero inputs. Mostly-zero rows (at most half nonzero) are kept compact (<see cref="CompactDataset"/>) and batched
/// sparse (<see cref="SparseBatch"/>). Batches it splits between its threads come as views of the dataset's rows (its
/// threads copy them in parallel) with no loader worker, which would take a core from the step; smaller batches get
/// one worker, which copies the next batch during the step.
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
        bool view = options.NumWorkers == 0 && SplitsBatches(options.BatchSize);
        return new DataLoader(compact, options, view
            ? () => new SparseViewCollator(compact, options.BatchSize)
            : () => new SparseCopyCollator(compact, options.BatchSize));
    }

    protected override int Workers(int batchSize) => SplitsBatches(batchSize) ? 0 : 1;

    static bool SplitsBatches(int batchSize) => batchSize >= ManagedMlp.SplitRows && Environment.ProcessorCount > 1;
}
