namespace MlNetMnist.Host.Serving;

/// <summary>
/// Requests the server has begun and those still running, for the lines `serve` prints when it stops: how many were in
/// flight at the signal, and how many it answered in all (what a client-side count can be checked against).
/// </summary>
internal sealed class RequestTally
{
    long _started, _running;

    public long Started => Interlocked.Read(ref _started);

    public long Running => Interlocked.Read(ref _running);

    /// <summary>Counts the request for as long as <paramref name="request"/> runs.</summary>
    public async Task Track(Func<Task> request)
    {
        Interlocked.Increment(ref _started);
        Interlocked.Increment(ref _running);
        try
        {
            await request();
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }
}
