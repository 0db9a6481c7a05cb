using System.Security.Cryptography;
using Microsoft.Extensions.ObjectPool;
using Microsoft.ML;

namespace MlNetMnist.Trainers.Serving;

/// <summary>
/// One loaded model and its own pool of PredictionEngines (a PredictionEngine is not thread-safe: one per borrower).
/// A caller that reads <see cref="PredictionEnginePool{TIn, TOut}.Current"/> once predicts and reports the identity of
/// the same model, even if a newer one is swapped in meanwhile.
/// </summary>
public sealed class ServedModel<TIn, TOut> where TIn : class where TOut : class, new()
{
    readonly ObjectPool<PredictionEngine<TIn, TOut>> _engines;

    ServedModel(ITransformer model, DataViewSchema inputSchema, string sha256, string? path, ObjectPool<PredictionEngine<TIn, TOut>> engines)
    {
        Model = model;
        InputSchema = inputSchema;
        Sha256 = sha256;
        Path = path;
        _engines = engines;
        LoadedAt = DateTimeOffset.UtcNow;
    }

    /// <summary>
    /// Loads a model zip held in memory and checks that it binds to <typeparamref name="TIn"/> and <typeparamref name="TOut"/>
    /// (one engine is created), so that a damaged or mismatched model fails here rather than in a request.
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes are not a model that maps <typeparamref name="TIn"/> to <typeparamref name="TOut"/>.</exception>
    public static ServedModel<TIn, TOut> Load(MLContext ml, byte[] zip, string? path = null, int maximumRetained = 0)
    {
        ArgumentNullException.ThrowIfNull(ml);
        ArgumentNullException.ThrowIfNull(zip);
        string what = path is null ? "The model" : $"Model file '{path}'";
        ITransformer model;
        DataViewSchema schema;
        PredictionEngine<TIn, TOut> first;
        try
        {
            model = ml.Model.Load(new MemoryStream(zip, writable: false), out schema);
            first = ml.Model.CreatePredictionEngine<TIn, TOut>(model);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"{what} could not be loaded: {Innermost(e).Message.Split('\n')[0].Trim()}", e);
        }
        var policy = new EnginePolicy(ml, model);
        var engines = maximumRetained > 0 ? new DefaultObjectPool<PredictionEngine<TIn, TOut>>(policy, maximumRetained)
                                          : new DefaultObjectPool<PredictionEngine<TIn, TOut>>(policy);
        engines.Return(first);
        return new ServedModel<TIn, TOut>(model, schema, Convert.ToHexStringLower(SHA256.HashData(zip)), path, engines);
    }

    /// <summary>The loaded pipeline.</summary>
    public ITransformer Model { get; }

    /// <summary>The input schema saved with the model.</summary>
    public DataViewSchema InputSchema { get; }

    /// <summary>SHA-256 of the zip's bytes, lower-case hex: tells two models apart whatever their file names.</summary>
    public string Sha256 { get; }

    /// <summary>The first 12 hex digits of <see cref="Sha256"/>, enough to name a model in a log line or a response.</summary>
    public string Id => Sha256[..12];

    /// <summary>The file it was read from, if any.</summary>
    public string? Path { get; }

    public DateTimeOffset LoadedAt { get; }

    /// <summary>Predicts with an engine borrowed from this model's pool and returned at once.</summary>
    public TOut Predict(TIn example)
    {
        var engine = _engines.Get();
        try
        {
            return engine.Predict(example);
        }
        finally
        {
            _engines.Return(engine);
        }
    }

    /// <summary>An engine of this model for a series of predictions on one thread; give it back with <see cref="Return"/>.</summary>
    public PredictionEngine<TIn, TOut> Rent() => _engines.Get();

    /// <summary>Gives back an engine that <see cref="Rent"/> handed out (of this model, not another).</summary>
    public void Return(PredictionEngine<TIn, TOut> engine) => _engines.Return(engine);

    static Exception Innermost(Exception e)
    {
        while (e.InnerException is { } inner) e = inner;
        return e;
    }

    sealed class EnginePolicy(MLContext ml, ITransformer model) : PooledObjectPolicy<PredictionEngine<TIn, TOut>>
    {
        public override PredictionEngine<TIn, TOut> Create() => ml.Model.CreatePredictionEngine<TIn, TOut>(model);

        public override bool Return(PredictionEngine<TIn, TOut> engine) => true;
    }
}
