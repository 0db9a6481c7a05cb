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
