using System.Collections;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace MlNetMnist.DataViews;

/// <summary>
/// The lesson's DataLoader: batches of a dataset, in the BatchSampler's order. With workers, up to PrefetchDepth
/// batches are collated in parallel ahead of the consumer and handed out in order, so the batches do not depend
/// on the worker count. A worker's exception is rethrown to the consumer at that batch with its original stack;
/// leaving the loop, disposing the enumerator or cancelling stops the workers and waits for them.
/// Batch buffers are pooled: a batch is valid until the enumerator moves on.
/// </summary>
public sealed class DataLoader : IBatchSource, IEnumerable<Batch>
{
    readonly IDataset _dataset;
    readonly DataLoaderOptions _options;
    readonly BatchSampler _batches;
    readonly ConcurrentBag<Buffers> _pool = [];
    int _nextEpoch;

    public DataLoader(IDataset dataset, DataLoaderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        options ??= new DataLoaderOptions();
        if (options.NumWorkers < 0) throw new ArgumentOutOfRangeException(nameof(options), options.NumWorkers, "NumWorkers must be >= 0.");
        if (options.PrefetchDepth is < 1) throw new ArgumentOutOfRangeException(nameof(options), options.PrefetchDepth, "PrefetchDepth must be >= 1.");
        ArgumentNullException.ThrowIfNull(options.Collate, "options.Collate");
        if (options.Sparse && options.Collate != Collates.Default)
            throw new ArgumentException("Sparse batches take their rows from the dataset (IDataset.AppendSparseRow); a custom Collate builds dense batches. Set one or the other.", nameof(options));
        _dataset = dataset;
        _options = options;
        _batches = new BatchSampler(new Sampler(dataset.Count, options.Shuffle, options.Seed), options.BatchSize, options.DropLast);
    }

    public IDataset Dataset => _dataset;

    public int BatchCount => _batches.Count;

    /// <summary>Runs the next epoch (0, 1, 2, ... on successive enumerations).</summary>
    public IEnumerator<Batch> GetEnumerator() => Epoch(_nextEpoch++).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public IEnumerable<Batch> Epoch(int epoch, CancellationToken cancellationToken = default) =>
        _options.NumWorkers == 0 ? Sequential(epoch, cancellationToken) : Parallel(epoch, cancellationToken);

    IEnumerable<Batch> Sequential(int epoch, CancellationToken cancellationToken)
    {
        var buffers = Rent();
        try
        {
            int index = 0;
            foreach (var indices in _batches.Batches(epoch))
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return Build(index++, indices, buffers);
            }
        }
        finally
        {
            _pool.Add(buffers);
        }
    }

    IEnumerable<Batch> Parallel(int epoch, CancellationToken cancellationToken)
    {
        int depth = _options.PrefetchDepth ?? 2 * _options.NumWorkers;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var workers = new SemaphoreSlim(_options.NumWorkers);
        var inFlight = new Queue<(Task<Batch> Task, Buffers Buffers)>();
        using var batches = _batches.Batches(epoch).GetEnumerator();
        int next = 0;
        Buffers? handedOut = null;
        try
        {
            while (true)
            {
                while (inFlight.Count < depth && batches.MoveNext())
                {
                    var indices = batches.Current;
                    int index = next++;
                    var buffers = Rent();
                    inFlight.Enqueue((Task.Run(async () =>
                    {
                        await workers.WaitAsync(stop.Token);
                        try { return Build(index, indices, buffers); }
                        finally { workers.Release(); }
                    }, stop.Token), buffers));
                }
                if (inFlight.Count == 0) yield break;
                var (task, taken) = inFlight.Dequeue();
                if (handedOut is not null) _pool.Add(handedOut);
                handedOut = taken;
                cancellationToken.ThrowIfCancellationRequested();
                yield return task.GetAwaiter().GetResult(); // rethrows a worker's exception with its own stack
            }
        }
        finally
        {
            stop.Cancel();
            foreach (var (task, buffers) in inFlight)
            {
                try { task.Wait(); } catch (Exception) { /* stopping: its outcome no longer matters */ }
                _pool.Add(buffers);
            }
            if (handedOut is not null) _pool.Add(handedOut);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // every batch: no slow first tiers
    Batch Build(int index, ArraySegment<int> indices, Buffers buffers)
    {
        int f = _dataset.FeatureCount, n = indices.Count;
        var labels = buffers.Labels.AsMemory(0, n);
        if (buffers.Sparse is { } sparse)
        {
            var labelSpan = labels.Span;
            if (_options.ViewRows && _dataset is Dataset inMemory)
            {
                // The batch shows the dataset's own sparse rows in its order; the consumer copies them where it uses them.
                for (int i = 0; i < n; i++) labelSpan[i] = inMemory.Label(indices[i]);
                buffers.View!.Show(inMemory.Sparse, indices);
                return WithRowValues(new Batch(index, n, buffers.View, labels), indices, buffers);
            }
            sparse.Clear();
            for (int i = 0; i < n; i++) labelSpan[i] = _dataset.AppendSparseRow(indices[i], sparse);
            return WithRowValues(new Batch(index, n, sparse, labels), indices, buffers);
        }
        var features = buffers.Dense!.AsMemory(0, n * f);
        _options.Collate(_dataset, indices, features.Span, labels.Span);
        return WithRowValues(new Batch(index, n, f, features, labels), indices, buffers);
    }

    /// <summary>The batch with its rows' targets and weights, when the dataset has them.</summary>
    static Batch WithRowValues(Batch batch, ArraySegment<int> indices, Buffers buffers)
    {
        if (buffers.Targets is null && buffers.Weights is null) return batch;
        return new Batch(batch, Pick(buffers.Source!.Targets, buffers.Targets, indices), Pick(buffers.Source.Weights, buffers.Weights, indices));
    }

    static Memory<float> Pick(ReadOnlyMemory<float>? source, float[]? buffer, ArraySegment<int> indices)
    {
        if (source is not { } values || buffer is null) return Memory<float>.Empty;
        var from = values.Span;
        for (int i = 0; i < indices.Count; i++) buffer[i] = from[indices[i]];
        return buffer.AsMemory(0, indices.Count);
    }

    Buffers Rent()
    {
        if (_pool.TryTake(out var pooled)) return pooled;
        int rows = _batches.BatchSize, f = _dataset.FeatureCount;
        var buffers = _options.Sparse
            ? new Buffers(null, new SparseFeatures(f, rows, rows * f / 4), new int[rows])
            : new Buffers(new float[rows * f], null, new int[rows]);
        return _dataset is Dataset data && (data.Targets is not null || data.Weights is not null)
            ? buffers with
            {
                Source = data,
                Targets = data.Targets is null ? null : new float[rows],
                Weights = data.Weights is null ? null : new float[rows],
            }
            : buffers;
    }

    /// <summary>One batch's pooled storage: dense features or sparse rows, labels, and targets and weights when the dataset has them.</summary>
    sealed record Buffers(float[]? Dense, SparseFeatures? Sparse, int[] Labels)
    {
        public Dataset? Source { get; init; }

        public float[]? Targets { get; init; }

        public float[]? Weights { get; init; }

        /// <summary>With <see cref="DataLoaderOptions.ViewRows"/>: shows the batch's rows of the dataset instead of <see cref="Sparse"/>.</summary>
        public SparseRowsView? View { get; } = Sparse is null ? null : new(Sparse, ReadOnlyMemory<int>.Empty);
    }
}
