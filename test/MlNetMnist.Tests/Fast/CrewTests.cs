using MlNetMnist.Trainers.Fast;

namespace MlNetMnist.Tests.Fast;

[TestClass]
public sealed class CrewTests
{
    [TestMethod]
    public void Run_GivesEveryPartOnce_AndReusesItsThreads()
    {
        using var crew = new Crew(3);
        for (int round = 0; round < 100; round++)
        {
            var seen = new int[3];
            crew.Run(3, part => Interlocked.Increment(ref seen[part]));
            CollectionAssert.AreEqual(new[] { 1, 1, 1 }, seen, $"round {round}");
        }
    }

    [TestMethod]
    public void APartsException_ReachesTheCaller_AfterEveryPartEnds()
    {
        using var crew = new Crew(2);
        int finished = 0;
        var error = Assert.ThrowsExactly<InvalidOperationException>(() => crew.Run(2, part =>
        {
            if (part == 1) throw new InvalidOperationException("part 1 failed");
            Thread.Sleep(50);
            Interlocked.Increment(ref finished);
        }));
        Assert.AreEqual("part 1 failed", error.Message);
        Assert.AreEqual(1, finished);
        crew.Run(2, _ => { }); // still usable
    }
}
