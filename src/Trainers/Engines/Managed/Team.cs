using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace MlNetMnist.Trainers.Engines.Managed;

/// <summary>
/// A fixed group of threads that run each phase of a step together: the caller is member 0, helper threads the
/// others, and <see cref="Run"/> returns when every member has done its share. A training step's phases follow
/// each other within microseconds, so a waiting helper spins briefly before it sleeps; an idle team costs nothing.
/// Nothing is allocated per phase.
/// </summary>
internal sealed class Team : IDisposable
{
    /// <summary>How long a helper spins for the next phase before it sleeps: longer than the gap between two steps.</summary>
    static readonly long SpinTicks = Stopwatch.Frequency / 5000; // 200 µs

    readonly Action<int, int> _work; // (phase, member)
    readonly Thread[] _helpers;
    readonly object _gate = new();
    int _phase, _generation, _pending;
    bool _stopping;
    Exception? _failure;

    /// <param name="size">Members, the caller included.</param>
    /// <param name="work">Runs one member's share of one phase: (phase, member).</param>
    public Team(int size, Action<int, int> work)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        Size = size;
        _work = work;
        _helpers = new Thread[size - 1];
        for (int m = 1; m < size; m++)
        {
            int member = m;
            _helpers[m - 1] = new Thread(() => Serve(member)) { IsBackground = true, Name = $"ManagedMlp member {m}" };
            _helpers[m - 1].Start();
        }
    }

    public int Size { get; }

    /// <summary>Runs <paramref name="phase"/> on every member and waits for all; rethrows a member's exception.</summary>
    public void Run(int phase)
    {
        if (Size == 1)
        {
            _work(phase, 0);
            return;
        }
        _phase = phase;
        Volatile.Write(ref _pending, Size - 1);
        Interlocked.Increment(ref _generation);
        lock (_gate) Monitor.PulseAll(_gate); // wakes helpers that fell asleep; cheap when none did
        try
        {
            _work(phase, 0);
        }
        finally
        {
            // The others finish within microseconds of the caller: a plain spin sees it at once, where SpinWait's
            // backoff would soon yield the core and look again only after a system call. Past SpinTicks, yield.
            long since = Stopwatch.GetTimestamp();
            for (int spins = 0; Volatile.Read(ref _pending) != 0; spins++)
                if (KeepSpinning(spins, since)) Thread.SpinWait(1);
                else Thread.Yield();
        }
        if (Interlocked.Exchange(ref _failure, null) is { } failure) ExceptionDispatchInfo.Throw(failure);
    }

    /// <summary>Whether a wait that began at <paramref name="since"/> still spins: within <see cref="SpinTicks"/>, the clock read every 64th spin.</summary>
    static bool KeepSpinning(int spins, long since) => (spins & 63) != 0 || Stopwatch.GetTimestamp() - since < SpinTicks;

    void Serve(int member)
    {
        int seen = 0;
        while (true)
        {
            long since = Stopwatch.GetTimestamp();
            for (int spins = 0; Volatile.Read(ref _generation) == seen; spins++)
            {
                if (KeepSpinning(spins, since))
                {
                    Thread.SpinWait(1);
                    continue;
                }
                lock (_gate)
                    while (Volatile.Read(ref _generation) == seen) Monitor.Wait(_gate);
            }
            seen = Volatile.Read(ref _generation);
            if (_stopping) return;
            try
            {
                _work(_phase, member);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _failure, e, null);
            }
            Interlocked.Decrement(ref _pending);
        }
    }

    /// <summary>Stops the helper threads and waits for them.</summary>
    public void Dispose()
    {
        if (_stopping) return;
        _stopping = true;
        Interlocked.Increment(ref _generation);
        lock (_gate) Monitor.PulseAll(_gate);
        foreach (var helper in _helpers) helper.Join();
    }
}
