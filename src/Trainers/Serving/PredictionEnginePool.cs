using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML;

namespace MlNetMnist.Trainers.Serving;

/// <summary>
/// PredictionEngines for many threads at once, as Microsoft.Extensions.ML's PredictionEnginePool offers: each caller
/// borrows an engine and returns it. With <see cref="PredictionEnginePoolOptions.WatchForChanges"/> a replaced model
/// file is loaded in the background and swapped in whole; requests already running finish on the model they started
/// with, and a replacement that does not load is logged and refused while the old model keeps serving.
/// </summary>
public sealed class PredictionEnginePool<TIn, TOut> : IDisposable where TIn : class where TOut : class, new()
{
    readonly MLContext _ml = new();
    readonly PredictionEnginePoolOptions _options;
    readonly ILogger _logger;
    readonly FileSystemWatcher? _watcher;
    readonly Timer? _reloadTimer;
    readonly Lock _reloading = new();
    volatile ServedModel<TIn, TOut> _current;

    /// <summary>Loads the model (a failure here throws: there is nothing to serve) and starts watching it if asked.</summary>
    /// <exception cref="InvalidDataException">The model file does not load or does not map these types.</exception>
    public PredictionEnginePool(PredictionEnginePoolOptions options, ILogger<PredictionEnginePool<TIn, TOut>>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.ModelPath))
            throw new ArgumentException("PredictionEnginePoolOptions.ModelPath is empty.", nameof(options));
        _options = options;
        _logger = logger ?? NullLogger<PredictionEnginePool<TIn, TOut>>.Instance;
        string path = Path.GetFullPath(options.ModelPath);
        _current = Load(path);
        _logger.LogInformation("Serving model {Id} from {Path}", _current.Id, path);
        if (!options.WatchForChanges) return;

        _reloadTimer = new Timer(_ => Reload(), null, Timeout.Infinite, Timeout.Infinite);
        _watcher = new FileSystemWatcher(Path.GetDirectoryName(path)!, Path.GetFileName(path))
        {
            NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime,
        };
        FileSystemEventHandler changed = (_, _) => _reloadTimer.Change(options.ReloadDelay, Timeout.InfiniteTimeSpan);
        _watcher.Changed += changed;
        _watcher.Created += changed;
        _watcher.Renamed += (sender, e) => changed(sender, e);
        _watcher.EnableRaisingEvents = true;
    }

    /// <summary>The model being served now. Read it once per request and use that object throughout.</summary>
    public ServedModel<TIn, TOut> Current => _current;

    /// <summary>Raised after a new model has been swapped in.</summary>
    public event Action<ServedModel<TIn, TOut>>? ModelChanged;

    /// <summary>Raised when a replacement was refused; the previous model is still served.</summary>
    public event Action<Exception>? ReloadFailed;

    /// <summary>Predicts with the current model (an engine borrowed and returned).</summary>
    public TOut Predict(TIn example) => _current.Predict(example);

    /// <summary>
    /// Reads the model file again now and swaps it in if its bytes changed and it loads; returns whether it did. The
    /// watcher calls this when the file changes; a caller may too.
    /// </summary>
    public bool Reload()
    {
        lock (_reloading)
        {
            string path = _current.Path!;
            try
            {
                var next = Load(path, _current.Sha256);
                if (next is null) return false;
                var previous = _current;
                _current = next;
                _logger.LogInformation("Model {Path} replaced: now serving {Id} (was {Previous})", path, next.Id, previous.Id);
                ModelChanged?.Invoke(next);
                return true;
            }
            catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                _logger.LogWarning("Replacement of model {Path} refused, still serving {Id}: {Reason}", path, _current.Id, e.Message);
                ReloadFailed?.Invoke(e);
                return false;
            }
        }
    }

    ServedModel<TIn, TOut> Load(string path) => Load(path, null)!;

    /// <summary>The model in the file, or null when its bytes hash to <paramref name="unlessSha256"/> (nothing changed).</summary>
    ServedModel<TIn, TOut>? Load(string path, string? unlessSha256)
    {
        byte[] zip = File.ReadAllBytes(path);
        if (unlessSha256 is not null && Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(zip)) == unlessSha256)
            return null;
        return ServedModel<TIn, TOut>.Load(_ml, zip, path, _options.MaximumRetained);
    }

    public void Dispose()
    {
        _watcher?.Dispose();
        _reloadTimer?.Dispose();
    }
}
