using MlNetMnist.Host.Serving;

namespace MlNetMnist.Tests.Host.Serving;

/// <summary>`loadtest`'s bookkeeping on a short run (its speed is measured by running the command, not here).</summary>
[TestClass]
public sealed class LoadTestTests
{
    [TestMethod]
    public async Task ShortRun_CountsEveryAnswer_AndFindsThemAllRight()
    {
        var result = await LoadTest.RunAsync(new LoadTest.LoadTestOptions(ServingModels.First, ServingModels.Test, Clients: 4, Requests: 500, SwapTo: null),
            CancellationToken.None);
        Assert.AreEqual(0, result.Errors, result.FirstProblem);
        Assert.AreEqual(0, result.Mismatches, result.FirstProblem);
        Assert.IsNull(result.FirstProblem);
        Assert.AreEqual(500, result.AnswersByModel.Values.Sum());
        Assert.IsTrue(result.P50Ms <= result.P99Ms && result.P99Ms <= result.MaxMs);
        Assert.IsTrue(result.P50Ms > 0, $"p50 {result.P50Ms}");
    }

    [TestMethod]
    public async Task TheServersMetrics_ScrapedDuringTheRun_CountWhatTheClientsGot()
    {
        var result = await LoadTest.RunAsync(new LoadTest.LoadTestOptions(ServingModels.First, ServingModels.Test, Clients: 4, Requests: 300, SwapTo: ServingModels.Second),
            CancellationToken.None);
        Assert.AreEqual(0, result.Errors + result.Mismatches, result.FirstProblem);
        Assert.AreEqual(300, result.Server.Answered);
        foreach (var (digit, count) in result.AnswersByDigit)
            Assert.AreEqual(count, result.Server.PredictionsByDigit[digit], $"digit {digit}");
        Assert.AreEqual(300L, result.Server.PredictionsByDigit.Values.Sum());
        Assert.IsTrue(result.ServerAgrees);
        Assert.IsFalse((result with { Server = result.Server with { Answered = 299 } }).ServerAgrees, "one answer the server did not count");
    }

    [TestMethod]
    public async Task Soak_RunsForItsDuration_AndReadsResidentMemoryAfterWarmUpAndAtTheEnd()
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = await LoadTest.RunAsync(new LoadTest.LoadTestOptions(ServingModels.First, ServingModels.Test, Clients: 4, Requests: 1, SwapTo: null)
            { Duration = TimeSpan.FromSeconds(3) }, CancellationToken.None);
        Assert.IsTrue(clock.Elapsed >= TimeSpan.FromSeconds(3));
        Assert.IsGreaterThan(1, result.Requests, "the duration, not --requests, ends the run");
        Assert.AreEqual(0, result.Errors + result.Mismatches, result.FirstProblem);
        Assert.IsGreaterThan(10_000_000L, result.ResidentAfterWarmUp);
        Assert.IsGreaterThan(10_000_000L, result.ResidentAtEnd);
        Assert.IsTrue(result.ServerAgrees);
    }

    [TestMethod]
    public async Task Duration_MustBeAPositiveDuration()
    {
        var (exit, _, error) = await MlNetMnist.Tests.Host.TestCli.Run("loadtest", "--model", ServingModels.First, "--duration", "10x");
        Assert.AreEqual(2, exit);
        StringAssert.Contains(error, "--duration expects a positive duration such as 90s, 10m or 1h, got '10x'");
    }

    [TestMethod]
    public async Task ModelThatIsNotTheOneServed_IsReportedAsMismatches()
    {
        // Offline answers from the second model while the first is served: every answer names a model it has no answers for.
        var result = await LoadTest.RunAsync(new LoadTest.LoadTestOptions(ServingModels.First, ServingModels.Test, Clients: 2, Requests: 50, SwapTo: null)
            { ExpectedFrom = ServingModels.Second }, CancellationToken.None);
        Assert.AreEqual(50, result.Mismatches);
        StringAssert.Contains(result.FirstProblem, "unknown model");
    }
}
