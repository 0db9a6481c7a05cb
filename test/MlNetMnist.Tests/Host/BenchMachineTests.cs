using MlNetMnist.Host.Bench;

namespace MlNetMnist.Tests.Host;

/// <summary>bench's report: the processor and vector width beside its figures, and ratios worded the right way round.</summary>
[TestClass]
public sealed class BenchMachineTests
{
    [TestMethod]
    public void Ratio_SaysFaster_AboveOne_AndSlower_BelowOne()
    {
        Assert.AreEqual("2.50x faster", Machine.Ratio(baselineSeconds: 5, seconds: 2));
        Assert.AreEqual("2.40x slower", Machine.Ratio(baselineSeconds: 1, seconds: 2.4));
        Assert.AreEqual("1.00x faster", Machine.Ratio(3, 3));
    }

    [TestMethod]
    public void Describe_NamesTheProcessor_AndTheVectorWidth()
    {
        string line = Machine.Describe();
        Assert.IsFalse(string.IsNullOrWhiteSpace(Machine.Processor));
        StringAssert.Contains(line, Machine.Processor);
        StringAssert.Contains(line, "-bit");
        if (File.Exists("/proc/cpuinfo"))
        {
            // The brand string is what lscpu and /proc/cpuinfo show as the model name.
            string model = File.ReadLines("/proc/cpuinfo").First(l => l.StartsWith("model name", StringComparison.Ordinal)).Split(':', 2)[1].Trim();
            Assert.AreEqual(string.Join(' ', model.Split(' ', StringSplitOptions.RemoveEmptyEntries)), Machine.Processor);
            // CPUID's family and model are the kernel's "cpu family" and "model".
            int Field(string name) => int.Parse(File.ReadLines("/proc/cpuinfo").First(l => l.StartsWith(name + "\t", StringComparison.Ordinal)).Split(':', 2)[1]);
            Assert.AreEqual((Field("cpu family"), Field("model")), Machine.FamilyAndModel);
            StringAssert.Contains(line, $"(family {Field("cpu family")} model {Field("model")})");
        }
    }
}
