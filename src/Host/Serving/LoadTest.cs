using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using HdrHistogram;
using Microsoft.ML;
using MlNetMnist.DataViews;
using MlNetMnist.Trainers.Serving;

namespace MlNetMnist.Host.Serving;

/// <summary>
/// `loadtest`: starts the server in this process on a free port, then <see cref="LoadTestOptions.Clients"/> clients post real
/// test digits as JSON, one request at a time each, until <see cref="LoadTestOptions.Requests"/> answers came back or, for a
/// soak, until <see cref="LoadTestOptions.Duration"/> has passed. Every answer is checked against the offline prediction
/// (PredictionEngine in this process) of the model that says it answered; with a second model the served file is replaced
/// halfway through. The process's resident memory is read when the first tenth of the run (the warm-up) is over and at the
/// end, and the server's own counts (GET /metrics) are checked against the answers the clients got.
/// </summary>
internal static class LoadTest
{
    public sealed record LoadTestOptions(string Model, IReadOnlyList<Digit> Digits, int Clients, int Requests, string? SwapTo)
    {
        /// <summary>The zip whose offline answers are expected; the served one unless a test wants every answer to be wrong.</summary>
        public string? ExpectedFrom { get; init; }

        /// <summary>Run for this long instead of <see cref="Requests"/> requests.</summary>
        public TimeSpan? Duration { get; init; }
    }

    /// <param name="Requests">Requests made.</param>
    /// <param name="Elapsed">From the first request to the last answer.</param>
    /// <param name="P50Ms">Median latency.</param>
    /// <param name="P99Ms">99th percentile latency.</param>
    /// <param name="MaxMs">Slowest request.</param>
    /// <param name="Errors">Requests without an answer (HTTP error or failed connection).</param>
    /// <param name="Mismatches">Answers that differ from the offline prediction of the model they name.</param>
    /// <param name="AnswersByModel">Answers per model id.</param>
    /// <param name="AnswersByDigit">Answers per predicted digit.</param>
    /// <param name="FirstProblem">The first error or mismatch, described; null when none.</param>
    /// <param name="ResidentAfterWarmUp">Bytes resident in this process (server and clients) when the warm-up ended.</param>
    /// <param name="ResidentAtEnd">Bytes resident when the clients stopped.</param>
    /// <param name="Server">The server's counts, scraped from GET /metrics after the clients stopped.</param>
    public sealed record Result(int Requests, TimeSpan Elapsed, double P50Ms, double P99Ms, double MaxMs, int Errors, int Mismatches,
        IReadOnlyDictionary<string, int> AnswersByModel, IReadOnlyDictionary<string, int> AnswersByDigit, string? FirstProblem,
        long ResidentAfterWarmUp, long ResidentAtEnd, ServerCounts Server)
    {
        public double PerSecond => Requests / Elapsed.TotalSeconds;

        /// <summary>Whether the server counted what the clients saw: its /predict 200s are the answers, its predictions by digit the answers by digit.</summary>
        public bool ServerAgrees => Server.Answered == AnswersByDigit.Values.Sum()
                                    && AnswersByDigit.All(p => Server.PredictionsByDigit.GetValueOrDefault(p.Key) == p.Value)
                                    && Server.PredictionsByDigit.Values.Sum() == AnswersByDigit.Values.Sum();
    }

    /// <summary>What GET /metrics said: /predict requests answered with 200, and predictions by digit.</summary>
    public sealed record ServerCounts(long Answered, IReadOnlyDictionary<string, long> PredictionsByDigit);

    public static async Task<Result> RunAsync(LoadTestOptions options, CancellationToken cancellation)
    {
        using var dir = new TempFolder();
        string served = Path.Combine(dir.Path, "served.zip");
        File.Copy(options.Model, served);
        var expected = new Dictionary<string, DigitPrediction[]> { [Id(options.ExpectedFrom ?? options.Model)] = Predictions(options.ExpectedFrom ?? options.Model, options.Digits) };
        string? second = options.SwapTo is null ? null : Id(options.SwapTo);
        if (second is not null) expected[second] = Predictions(options.SwapTo!, options.Digits);
        var bodies = options.Digits.Select(d => Encoding.UTF8.GetBytes($"{{\"pixels\":[{string.Join(',', d.Pixels)}]}}")).ToArray();

        await using var app = ServeApp.Build(new ServeOptions(served, "http://127.0.0.1:0") { Quiet = true });
        await app.StartAsync(cancellation);
        string url = ServeApp.Addresses(app).First() + "/";
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = options.Clients, UseProxy = false }) { BaseAddress = new Uri(url) };

        int next = -1, done = 0, errors = 0, mismatches = 0;
        string? problem = null;
        var byModel = new ConcurrentDictionary<string, int>();
        var byDigit = new ConcurrentDictionary<string, int>();
        // Latencies in Stopwatch ticks, one histogram per client (merged at the end): fixed memory however long the run.
        long slowest = TimeSpan.FromMinutes(1).Ticks * Stopwatch.Frequency / TimeSpan.TicksPerSecond;
        var histograms = Enumerable.Range(0, options.Clients).Select(_ => new LongHistogram(slowest, 3)).ToArray();

        var clock = Stopwatch.StartNew();
        bool More(out int i)
        {
            i = Interlocked.Increment(ref next);
            return options.Duration is { } duration ? clock.Elapsed < duration : i < options.Requests;
        }
        var clients = Enumerable.Range(0, options.Clients).Select(c => Task.Run(async () =>
        {
            var histogram = histograms[c];
            while (More(out int i) && !cancellation.IsCancellationRequested)
            {
                int row = i % bodies.Length;
                long start = Stopwatch.GetTimestamp();
                try
                {
                    using var content = new ByteArrayContent(bodies[row]);
                    content.Headers.ContentType = new("application/json");
                    using var response = await http.PostAsync("predict", content, cancellation);
                    var answer = response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<ServeApp.PredictResponse>(cancellation) : null;
                    histogram.RecordValue(Math.Min(Stopwatch.GetTimestamp() - start, slowest));
                    if (answer is null)
                    {
                        Interlocked.Increment(ref errors);
                        problem ??= $"request {i}: HTTP {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellation)}";
                        continue;
                    }
                    byModel.AddOrUpdate(answer.Model, 1, (_, n) => n + 1);
                    byDigit.AddOrUpdate(answer.Digit, 1, (_, n) => n + 1);
                    if (!expected.TryGetValue(answer.Model, out var offline) || !Same(offline[row], answer))
                    {
                        Interlocked.Increment(ref mismatches);
                        problem ??= $"request {i} (row {row}): model {answer.Model} answered {answer.Digit}, offline says {(offline is null ? "unknown model" : offline[row].PredictedDigit)}";
                    }
                }
                catch (HttpRequestException e)
                {
                    histogram.RecordValue(Math.Min(Stopwatch.GetTimestamp() - start, slowest));
                    Interlocked.Increment(ref errors);
                    problem ??= $"request {i}: {e.Message}";
                }
                finally
                {
                    Interlocked.Increment(ref done);
                }
            }
        }, cancellation)).ToArray();

        // Beside the clients: the resident memory once the warm-up (the first tenth) is over, and the swap halfway through.
        bool Passed(double fraction) => options.Duration is { } duration ? clock.Elapsed >= duration * fraction : Volatile.Read(ref done) >= options.Requests * fraction;
        var all = Task.WhenAll(clients);
        long residentAfterWarmUp = 0;
        bool swapped = options.SwapTo is null;
        while (!all.IsCompleted)
        {
            if (residentAfterWarmUp == 0 && Passed(0.1)) residentAfterWarmUp = Resident();
            if (!swapped && Passed(0.5))
            {
                Replace(options.SwapTo!, served); // atomic rename, as a deployment would do it
                swapped = true;
            }
            await Task.WhenAny(all, Task.Delay(10, CancellationToken.None));
        }
        await all;
        var elapsed = clock.Elapsed;
        long residentAtEnd = Resident();
        if (residentAfterWarmUp == 0) residentAfterWarmUp = residentAtEnd; // a run too short to sample during
        if (second is not null && !byModel.ContainsKey(second))
            problem ??= "the swapped-in model answered no request (swap too late for this request count?)";

        var server = await ScrapeAsync(http, byDigit.Values.Sum(), cancellation);
        await app.StopAsync(CancellationToken.None);
        var latencies = histograms[0];
        foreach (var h in histograms.Skip(1)) latencies.Add(h);
        double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
        return new Result(done, elapsed, Ms(latencies.GetValueAtPercentile(50)), Ms(latencies.GetValueAtPercentile(99)), Ms(latencies.GetMaxValue()),
            errors, mismatches, new Dictionary<string, int>(byModel), new Dictionary<string, int>(byDigit), problem,
            residentAfterWarmUp, residentAtEnd, server);
    }

    /// <summary>
    /// The server's counts from GET /metrics. ASP.NET Core records a request as it ends, a moment after its client has the
    /// answer: scraped again (for up to five seconds) until the count reaches <paramref name="answers"/>.
    /// </summary>
    static async Task<ServerCounts> ScrapeAsync(HttpClient http, long answers, CancellationToken cancellation)
    {
        for (var waited = Stopwatch.StartNew(); ; await Task.Delay(50, cancellation))
        {
            var metrics = new PrometheusText(await http.GetStringAsync("metrics", cancellation));
            long answered = (long)metrics.Sum("http_server_request_duration_seconds_count", "http_route=/predict", "http_response_status_code=200");
            if (answered >= answers || waited.Elapsed > TimeSpan.FromSeconds(5))
                return new ServerCounts(answered, Enumerable.Range(0, 10).Select(d => d.ToString())
                    .ToDictionary(d => d, d => (long)metrics.Sum("mnist_predictions_total", $"digit={d}")));
        }
    }

    /// <summary>Resident memory of this process after a full collection, so that garbage not yet collected does not count.</summary>
    static long Resident()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var self = Process.GetCurrentProcess();
        return self.WorkingSet64;
    }

    static bool Same(DigitPrediction offline, ServeApp.PredictResponse answer) =>
        offline.PredictedDigit == answer.Digit && offline.Score.AsSpan().SequenceEqual(answer.Probabilities);

    static void Replace(string source, string target)
    {
        string temp = target + ".incoming";
        File.Copy(source, temp, overwrite: true);
        File.Move(temp, target, overwrite: true);
    }

    /// <summary>The served identity of a zip: what the server will call it.</summary>
    static string Id(string zip) => ServedModel<Digit, DigitPrediction>.Load(new MLContext(), File.ReadAllBytes(zip)).Id;

    static DigitPrediction[] Predictions(string zip, IReadOnlyList<Digit> digits)
    {
        var ml = new MLContext();
        var engine = ml.Model.CreatePredictionEngine<Digit, DigitPrediction>(ml.Model.Load(zip, out _));
        return digits.Select(d => engine.Predict(d)).ToArray();
    }

    sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("mlnet-mnist-loadtest-").FullName;

        public void Dispose()
        {
            try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
        }
    }
}
