using System.Diagnostics.Metrics;
using MlNetMnist.DataViews;
using MlNetMnist.Trainers.Serving;

namespace MlNetMnist.Host.Serving;

/// <summary>
/// The service's own instruments, beside ASP.NET Core's request metrics (requests and latency by route and status),
/// exported together on GET /metrics: predictions by digit, model swaps and refused swaps, and the model being served.
/// Prometheus names: mnist_predictions_total{digit}, mnist_model_swaps_total, mnist_model_swaps_refused_total,
/// mnist_model_current{model} (1 for the model served now, 0 for models served before).
/// </summary>
internal sealed class ServeMetrics
{
    public const string MeterName = "MlNetMnist.Serve";

    readonly Counter<long> _predictions;
    readonly Lock _seenLock = new();
    readonly List<string> _seen = [];

    public ServeMetrics(IMeterFactory meters, PredictionEnginePool<Digit, DigitPrediction> pool)
    {
        var meter = meters.Create(MeterName);
        _predictions = meter.CreateCounter<long>("mnist.predictions", "{prediction}", "Predictions answered, by predicted digit.");
        var swaps = meter.CreateCounter<long>("mnist.model.swaps", "{swap}", "Replacements of the model file swapped in.");
        var refused = meter.CreateCounter<long>("mnist.model.swaps.refused", "{swap}", "Replacements of the model file refused (they did not load); the previous model kept serving.");
        pool.ModelChanged += model =>
        {
            Seen(model.Id);
            swaps.Add(1);
        };
        pool.ReloadFailed += _ => refused.Add(1);
        swaps.Add(0); // both series from the first scrape, at 0
        refused.Add(0);
        Seen(pool.Current.Id);
        // Every model served so far, so that a scrape after a swap sets the previous one to 0 rather than dropping it.
        meter.CreateObservableGauge("mnist.model.current", () =>
        {
            string current = pool.Current.Id;
            lock (_seenLock)
                return _seen.Select(id => new Measurement<int>(id == current ? 1 : 0, new KeyValuePair<string, object?>("model", id))).ToArray();
        }, "{model}", "1 for the model being served (its id: the first 12 hex digits of the zip's SHA-256), 0 for models served before.");
    }

    /// <summary>Counts one answered prediction of <paramref name="digit"/>.</summary>
    public void Predicted(string digit) => _predictions.Add(1, new KeyValuePair<string, object?>("digit", digit));

    void Seen(string id)
    {
        lock (_seenLock)
            if (!_seen.Contains(id)) _seen.Add(id);
    }
}
