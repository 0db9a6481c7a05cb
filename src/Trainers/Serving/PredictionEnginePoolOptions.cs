namespace MlNetMnist.Trainers.Serving;

/// <summary>Where a <see cref="PredictionEnginePool{TIn, TOut}"/> finds its model and whether it follows changes to it.</summary>
public sealed class PredictionEnginePoolOptions
{
    /// <summary>The ML.NET model zip.</summary>
    public string ModelPath { get; set; } = "";

    /// <summary>Load the zip again when it is replaced, and serve the new model once it has loaded (a damaged one is refused).</summary>
    public bool WatchForChanges { get; set; }

    /// <summary>How long the file must stay quiet before it is reloaded: a copy in progress raises many change events.</summary>
    public TimeSpan ReloadDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Engines kept for reuse per model; more are created when more callers predict at once.</summary>
    public int MaximumRetained { get; set; } = Environment.ProcessorCount * 2;
}
