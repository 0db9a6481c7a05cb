using System.Net.Http.Json;
using System.Text;

namespace MlNetMnist.Tests.Host.Serving;

/// <summary>The served zip replaced while clients keep asking: no request fails, each answer is right for the model it names.</summary>
[TestClass]
public sealed class HotSwapTests
{
    sealed record Answer(string Digit, float[] Probabilities, string Model);

    [TestMethod]
    public async Task ReplacedZip_WhileRequestsRun_NoneFails_AndTheNewModelAnswersAfter()
    {
        using var dir = TestData.TempDirectory();
        string served = dir.File("served.zip");
        File.Copy(ServingModels.First, served);
        await using var server = await RunningServer.StartAsync(served);
        var first = ServingModels.Offline(ServingModels.First);
        var second = ServingModels.Offline(ServingModels.Second);
        var bodies = ServingModels.Test.Select(d => Encoding.UTF8.GetBytes($"{{\"pixels\":[{string.Join(',', d.Pixels)}]}}")).ToArray();
        string firstId = await Id(server), secondId = "";

        var seen = new System.Collections.Concurrent.ConcurrentBag<string>();
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();
        async Task Client(int start)
        {
            for (int i = start; !stop.IsCancellationRequested; i += 4)
            {
                int row = i % bodies.Length;
                var response = await server.Http.PostAsync("predict", new ByteArrayContent(bodies[row]));
                if (!response.IsSuccessStatusCode) { failures.Add($"row {row}: HTTP {(int)response.StatusCode}"); continue; }
                var answer = (await response.Content.ReadFromJsonAsync<Answer>())!;
                seen.Add(answer.Model);
                var expected = answer.Model == firstId ? first[row] : answer.Model == secondId ? second[row] : null;
                if (expected is null || !expected.Score.AsSpan().SequenceEqual(answer.Probabilities))
                    failures.Add($"row {row}: model {answer.Model} answered {answer.Digit}");
            }
        }
        var clients = Enumerable.Range(0, 4).Select(c => Task.Run(() => Client(c))).ToArray();
        await Task.Delay(300);
        File.Copy(ServingModels.Second, served + ".new");
        secondId = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(served + ".new")))[..12];
        File.Move(served + ".new", served, overwrite: true);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await Id(server) != secondId && DateTime.UtcNow < deadline) await Task.Delay(50);
        await Task.Delay(300); // keep asking the new model for a while
        stop.Cancel();
        await Task.WhenAll(clients);

        Assert.IsEmpty(failures, string.Join("; ", failures.Take(5)));
        Assert.AreEqual(secondId, await Id(server));
        CollectionAssert.IsSubsetOf(new[] { firstId, secondId }, seen.Distinct().ToArray(), "both models answered");
        var after = (await (await server.Http.PostAsync("predict", new ByteArrayContent(bodies[0]))).Content.ReadFromJsonAsync<Answer>())!;
        Assert.AreEqual(secondId, after.Model);
        CollectionAssert.AreEqual(second[0].Score, after.Probabilities);
    }

    static async Task<string> Id(RunningServer server) =>
        System.Text.Json.JsonDocument.Parse(await server.Http.GetStringAsync("health")).RootElement.GetProperty("model").GetString()!;
}
