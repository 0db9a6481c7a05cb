using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MlNetMnist.Host.Serving;

namespace MlNetMnist.Tests.Host.Serving;

/// <summary>GET /metrics (OpenTelemetry, Prometheus text) counts what clients did; GET /model tells nothing about the server's files.</summary>
[TestClass]
public sealed class MetricsTests
{
    static async Task<PrometheusText> Scrape(RunningServer server)
    {
        var response = await server.Http.GetAsync("metrics");
        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode);
        StringAssert.StartsWith(response.Content.Headers.ContentType?.MediaType, "text/plain");
        return new PrometheusText(await response.Content.ReadAsStringAsync());
    }

    /// <summary>ASP.NET Core records a request's duration as the request ends, a moment after the client has the answer: scrape until it shows.</summary>
    static async Task<PrometheusText> ScrapeUntil(RunningServer server, Func<PrometheusText, bool> done)
    {
        var metrics = await Scrape(server);
        for (int i = 0; i < 50 && !done(metrics); i++)
        {
            await Task.Delay(100);
            metrics = await Scrape(server);
        }
        return metrics;
    }

    static async Task WaitForModel(RunningServer server, string id)
    {
        for (int i = 0; i < 100; i++)
        {
            if ((await server.Http.GetFromJsonAsync<JsonElement>("health")).GetProperty("model").GetString() == id) return;
            await Task.Delay(100);
        }
        Assert.Fail($"model {id} was never served");
    }

    [TestMethod]
    public async Task Metrics_CountRequestsByRouteAndStatus_PredictionsByDigit_SwapsAndTheCurrentModel()
    {
        using var dir = TestData.TempDirectory();
        string served = dir.File("served.zip");
        File.Copy(ServingModels.First, served);
        await using var server = await RunningServer.StartAsync(served);
        string firstId = (await server.Http.GetFromJsonAsync<JsonElement>("health")).GetProperty("model").GetString()!;

        var digits = new Dictionary<string, int>();
        for (int row = 0; row < 30; row++)
        {
            var body = new ByteArrayContent(Encoding.UTF8.GetBytes($"{{\"pixels\":[{string.Join(',', ServingModels.Test[row].Pixels)}]}}"));
            var answer = (await (await server.Http.PostAsync("predict", body)).Content.ReadFromJsonAsync<ServeApp.PredictResponse>())!;
            digits[answer.Digit] = digits.GetValueOrDefault(answer.Digit) + 1;
        }
        for (int i = 0; i < 2; i++)
            Assert.AreEqual(HttpStatusCode.BadRequest, (await server.Http.PostAsync("predict", new StringContent("{\"pixels\": [1, 2]}"))).StatusCode);

        // A good replacement is swapped in; a damaged one is refused.
        File.Copy(ServingModels.Second, dir.File("incoming.zip"));
        File.Move(dir.File("incoming.zip"), served, overwrite: true);
        string secondId = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(ServingModels.Second)))[..12];
        await WaitForModel(server, secondId);
        File.WriteAllText(dir.File("incoming.zip"), "not a zip");
        File.Move(dir.File("incoming.zip"), served, overwrite: true);

        var metrics = await ScrapeUntil(server, m => m.Sum("mnist_model_swaps_refused_total") == 1
            && m.Sum("http_server_request_duration_seconds_count", "http_route=/predict", "http_response_status_code=400") == 2);
        Console.WriteLine(metrics.Text);
        Assert.AreEqual(30, metrics.Sum("http_server_request_duration_seconds_count", "http_route=/predict", "http_response_status_code=200"));
        Assert.AreEqual(2, metrics.Sum("http_server_request_duration_seconds_count", "http_route=/predict", "http_response_status_code=400"));
        Assert.AreEqual(30, metrics.Sum("http_server_request_duration_seconds_bucket", "http_route=/predict", "http_response_status_code=200", "le=+Inf"));
        Assert.IsGreaterThan(0.0, metrics.Sum("http_server_request_duration_seconds_sum", "http_route=/predict"));
        foreach (var (digit, count) in digits)
            Assert.AreEqual(count, metrics.Sum("mnist_predictions_total", $"digit={digit}"), $"digit {digit}");
        Assert.AreEqual(30, metrics.Sum("mnist_predictions_total"));
        Assert.AreEqual(1, metrics.Sum("mnist_model_swaps_total"));
        Assert.AreEqual(1, metrics.Sum("mnist_model_swaps_refused_total"));
        Assert.AreEqual(1, metrics.Sum("mnist_model_current", $"model={secondId}"));
        Assert.AreEqual(0, metrics.Sum("mnist_model_current", $"model={firstId}"));
        Assert.AreEqual(0, metrics.Sum("http_server_request_duration_seconds_count", "http_route=/metrics"), "scrapes are not counted");
    }

    [TestMethod]
    public async Task Model_NamesNoServerPath()
    {
        using var dir = TestData.TempDirectory();
        string served = dir.File("served.zip");
        File.Copy(ServingModels.First, served);
        await using var server = await RunningServer.StartAsync(served);
        string text = await server.Http.GetStringAsync("model");
        Assert.DoesNotContain(dir.Path, text);
        Assert.DoesNotContain("served.zip", text);
        using var model = JsonDocument.Parse(text);
        Assert.AreEqual(64, model.RootElement.GetProperty("weightsSha256").GetString()!.Length);
        Assert.AreEqual(12, model.RootElement.GetProperty("id").GetString()!.Length);
    }
}
