namespace MlNetMnist.Host.Serving;

/// <summary>What `serve` (and the tests and the load test, in-process) start a server with.</summary>
internal sealed record ServeOptions(string ModelPath, string Urls = "http://127.0.0.1:5000")
{
    /// <summary>Largest request body accepted: a phone photo fits, a runaway upload does not.</summary>
    public long MaxBodyBytes { get; init; } = 4 << 20;

    /// <summary>Follow replacements of the model file.</summary>
    public bool Watch { get; init; } = true;

    /// <summary>Log only warnings and errors (tests and the load test).</summary>
    public bool Quiet { get; init; }
}
