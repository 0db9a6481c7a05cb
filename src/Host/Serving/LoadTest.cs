using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using Microsoft.ML;
using MlNetMnist.DataViews;
using MlNetMnist.Trainers.Serving;

namespace MlNetMnist.Host.Serving;

/// <summary>
/// `loadtest`: starts the server in this process on a free port, then <see cref="LoadTestOptions.Clients"/> clients post real
/// test digits as JSON, one request at a time each, until <see cref="LoadTestOptions.Requests"/> answers came back. Every answer
/// is checked against the offline prediction (PredictionEngine in this process) of the model that says it answered; with a
/// second model the served file is replaced halfway through.
/// </summary>
internal static class LoadTest
{
    public sealed record LoadTestOptions(string Model, IReadOnlyList<Digit> Digits, int Clients, int Requests, string? SwapTo)
    {
        /// <summary>The zip whose offline answers are expected; the served one unless a test wants every answer to be wrong.</summary>
        public string? ExpectedFrom { get; init; }
    }

    public sealed record Result(int Requests, TimeSpan Elapsed, double P50Ms, double P99Ms, double MaxMs, int Errors, int Mismatches,
        IReadOnlyDictionary<string, int> AnswersByModel, string? FirstProblem)
    {
        public double PerSecond => Requests / Elapsed.TotalSeconds;
    }

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
        string url = ServeApp.Addresses(app).First() + "/predict";
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = options.Clients, UseProxy = false });

        int next = -1, errors = 0, mismatches = 0;
        string? problem = null;
        var byModel = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        var latencies = new double[options.Requests];

        var clock = Stopwatch.StartNew();
        var clients = Enumerable.Range(0, options.Clients).Select(_ => Task.Run(async () =>
        {
            for (int i; (i = Interlocked.Increment(ref next)) < options.Requests;)
            {
                if (i == options.Requests / 2 && options.SwapTo is { } swapTo)
                    Replace(swapTo, served); // atomic rename, as a deployment would do it
                int row = i % bodies.Length;
                long start = Stopwatch.GetTimestamp();
                try
                {
                    using var content = new ByteArrayContent(bodies[row]);
                    content.Headers.ContentType = new("application/json");
                    using var response = await http.PostAsync(url, content, cancellation);
                    var answer = response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<ServeApp.PredictResponse>(cancellation) : null;
                    latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                    if (answer is null)
                    {
                        Interlocked.Increment(ref errors);
                        problem ??= $"request {i}: HTTP {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellation)}";
                        continue;
                    }
                    byModel.AddOrUpdate(answer.Model, 1, (_, n) => n + 1);
                    if (!expected.TryGetValue(answer.Model, out var offline) || !Same(offline[row], answer))
                    {
                        Interlocked.Increment(ref mismatches);
                        problem ??= $"request {i} (row {row}): model {answer.Model} answered {answer.Digit}, offline says {(offline is null ? "unknown model" : offline[row].PredictedDigit)}";
                    }
                }
                catch (HttpRequestException e)
                {
                    latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                    Interlocked.Increment(ref errors);
                    problem ??= $"request {i}: {e.Message}";
                }
            }
        }, cancellation)).ToArray();
        await Task.WhenAll(clients);
        var elapsed = clock.Elapsed;
        if (second is not null && !byModel.ContainsKey(second))
            problem ??= "the swapped-in model answered no request (swap too late for this request count?)";

        Array.Sort(latencies);
        await app.StopAsync(CancellationToken.None);
        return new Result(options.Requests, elapsed, Percentile(latencies, 0.50), Percentile(latencies, 0.99), latencies[^1],
            errors, mismatches, new Dictionary<string, int>(byModel), problem);
    }

    static bool Same(DigitPrediction offline, ServeApp.PredictResponse answer) =>
        offline.PredictedDigit == answer.Digit && offline.Score.AsSpan().SequenceEqual(answer.Probabilities);

    static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

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
