using MlNetMnist.DataViews;
using MlNetMnist.Trainers.Models;

namespace MlNetMnist.Trainers.Engines;

/// <summary>
/// A way to compute the MLP's training steps. Every engine trains the same model (Linear and ReLU layers), with the
/// same head and loss (<see cref="MlpHead"/>) and optimizer, from the same initial weights; they differ in how the arithmetic is done.
/// The trainer, <c>bench</c>, the benchmarks and the tests reach an engine only through this class: it makes the
/// MLP (<see cref="Create(IReadOnlyList{int}, int, MlpOptimizer, MlpHead)"/>) and says what batches it wants
/// (<see cref="LoaderOptions"/>).
/// </summary>
public abstract class MlpEngine
{
    /// <summary>The engine's name, stored in the model zip and accepted by the command line's --engine.</summary>
    public abstract string Name { get; }

    /// <summary>
    /// An MLP starting from <paramref name="initial"/>'s weights (copied), stepped by <paramref name="optimizer"/>, its
    /// buffers and step count taken from <paramref name="state"/> when given (resuming), its outputs scored and its
    /// loss computed by <paramref name="head"/> (null: softmax cross-entropy).
    /// </summary>
    public abstract ITrainableMlp Create(MlpNetwork initial, MlpOptimizer optimizer, MlpOptimizerState? state = null, MlpHead? head = null);

    /// <summary>An MLP of <paramref name="sizes"/> ([in, hidden..., outputs]) initialised from <paramref name="seed"/> (<see cref="LinearInit"/>).</summary>
    public ITrainableMlp Create(IReadOnlyList<int> sizes, int seed, MlpOptimizer optimizer, MlpHead? head = null) =>
        Create(LinearInit.Mlp(sizes, seed), optimizer, head: head);

    /// <summary>Whether the engine reads sparse batches as they are (faster on mostly-zero data); others would copy them out dense.</summary>
    protected virtual bool ReadsSparseBatches => false;

    /// <summary>Whether, reading sparse batches of <paramref name="batchSize"/> rows, the engine copies the rows itself and wants views of the dataset's rows.</summary>
    protected virtual bool ViewsRows(int batchSize) => false;

    /// <summary>DataLoader workers that suit steps of <paramref name="batchSize"/> rows: by default one, which builds the next batch during the step.</summary>
    protected virtual int Workers(int batchSize) => 1;

    /// <summary>Rows per batch when only scoring (validation): large, since nothing is learned per batch.</summary>
    public virtual int EvaluationBatchSize => 1000;

    /// <summary>
    /// The DataLoader settings this engine wants for <paramref name="data"/> in batches of <paramref name="batchSize"/>
    /// (<see cref="EvaluationBatchSize"/> when null): sparse batches while at most half the values are nonzero and the
    /// engine reads them (past half, the sparse copy is the larger), the workers that suit it unless
    /// <paramref name="workers"/> says otherwise.
    /// </summary>
    public DataLoaderOptions LoaderOptions(Dataset data, int? batchSize = null, bool shuffle = false, int seed = 0, int? workers = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        int size = batchSize ?? EvaluationBatchSize;
        bool sparse = ReadsSparseBatches && data.NonzeroShare() <= 0.5;
        int threads = workers ?? Workers(size);
        return new DataLoaderOptions
        {
            BatchSize = size, Shuffle = shuffle, Seed = seed, Sparse = sparse, NumWorkers = threads,
            ViewRows = sparse && threads == 0 && ViewsRows(size),
        };
    }

    public override string ToString() => Name;
}
