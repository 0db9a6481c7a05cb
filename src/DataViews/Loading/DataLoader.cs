using System.Collections;
using System.Collections.Concurrent;

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
    readonly Func<ICollator> _newCollator;
    readonly ConcurrentBag<ICollator> _pool = [];
    int _nextEpoch;

    /// <summary>Dense batches of <paramref name="dataset"/>, collated by <see cref="DataLoaderOptions.Collate"/>.</summary>
    public DataLoader(IDataset dataset, DataLoaderOptions? options = null)
        : this(dataset, options ??= new DataLoaderOptions(),
               () => new DenseCollator(dataset, options.BatchSize, options.Collate ?? throw new ArgumentNullException("options.Collate")))
    {
    }

    /// <summary>
    /// Batches of <paramref name="dataset"/> made by collators of the caller's (<see cref="DataLoaderOptions.Collate"/>
    /// does not apply): for batches of another form than the lesson's dense block.
    /// </summary>
    public DataLoader(IDataset dataset, DataLoaderOptions options, Func<ICollator> newCollator)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(newCollator);
        if (options.NumWorkers < 0) throw new ArgumentOutOfRangeException(nameof(options), options.NumWorkers, "NumWorkers must be >= 0.");
        if (options.PrefetchDepth is < 1) throw new ArgumentOutOfRangeException(nameof(options), options.PrefetchDepth, "PrefetchDepth must be >= 1.");
        ArgumentNullException.ThrowIfNull(options.Collate, "options.Collate");
        _dataset = dataset;
        _options = options;
        _newCollator = newCollator;
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
        var collator = Rent();
        try
        {
            int index = 0;
            foreach (var indices in _batches.Batches(epoch))
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return collator.Collate(index++, indices);
            }
        }
        finally
        {
            _pool.Add(collator);
        }
    }

    IEnumerable<Batch> Parallel(int epoch, CancellationToken cancellationToken)
    {
        int depth = _options.PrefetchDepth ?? 2 * _options.NumWorkers;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var workers = new SemaphoreSlim(_options.NumWorkers);
        var inFlight = new Queue<(Task<Batch> Task, ICollator Collator)>();
        using var batches = _batches.Batches(epoch).GetEnumerator();
        int next = 0;
        ICollator? handedOut = null;
        try
        {
            while (true)
            {
                while (inFlight.Count < depth && batches.MoveNext())
                {
                    var indices = batches.Current;
                    int index = next++;
                    var collator = Rent();
                    inFlight.Enqueue((Task.Run(async () =>
                    {
                        await workers.WaitAsync(stop.Token);
                        try { return collator.Collate(index, indices); }
                        finally { workers.Release(); }
                    }, stop.Token), collator));
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
            foreach (var (task, collator) in inFlight)
            {
                try { task.Wait(); } catch (Exception) { /* stopping: its outcome no longer matters */ }
                _pool.Add(collator);
            }
            if (handedOut is not null) _pool.Add(handedOut);
        }
    }

    ICollator Rent() => _pool.TryTake(out var collator) ? collator : _newCollator();
}
