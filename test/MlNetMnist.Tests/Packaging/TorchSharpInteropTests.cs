using System.Text.RegularExpressions;

namespace MlNetMnist.Tests.Packaging;

/// <summary>
/// An app holding our packages (the add-on too) and Microsoft.ML.TorchSharp, ML.NET's TorchSharp trainers, in the
/// version that pairs with each Microsoft.ML we support (0.23.1 with 5.0.1, 0.24.0 with 6.0.0): one TorchSharp for both,
/// and which of ML.NET's trainers still work with it.
/// </summary>
[TestClass]
[TestCategory("Packaging")]
public sealed class TorchSharpInteropTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [DataRow("5.0.1", "0.23.1")]
    [DataRow("6.0.0", "0.24.0")]
    public void MicrosoftMLTorchSharp_BesideTheAddOn_OneTorchSharp_AndOnlyObjectDetectionCallsWhatItLacks(string mlNetVersion, string mlNetTorchSharpVersion)
    {
        Assert.AreEqual(mlNetTorchSharpVersion, PackedFeed.AddOnVersion(mlNetVersion), "ML.NET's 0.x add-ons pair with its version");
        // NU1603 stays a warning: Microsoft.ML.TorchSharp 0.24.0 asks for SkiaSharp 3.119.2, which the NuGet feed here
        // lacks, and NuGet takes 3.119.4 (nuget.org has 3.119.2).
        using var app = new FreshApp("InteropApp",
            [("Microsoft.ML", mlNetVersion), ("MlNetMnist.DataViews", PackedFeed.Version), ("MlNetMnist.Trainers", PackedFeed.Version),
             ("MlNetMnist.Trainers.TorchSharp", PackedFeed.Version), ("Microsoft.ML.TorchSharp", mlNetTorchSharpVersion)],
            [("Program.cs", FreshApp.AppSource("InteropApp.cs"))], warningsNotAsErrors: "NU1603");

        app.DotNet("restore");
        var (packages, _) = app.RestoredPackages();
        CollectionAssert.Contains(packages.ToList(), $"Microsoft.ML/{mlNetVersion}", "the app's own Microsoft.ML");
        var torchSharp = packages.Where(p => p.StartsWith("TorchSharp/", StringComparison.OrdinalIgnoreCase)).ToList();
        CollectionAssert.AreEqual(new[] { "TorchSharp/0.107.0" }, torchSharp, "one TorchSharp for both packages");

        string output = app.DotNet("run", "-c", "Release");
        TestContext.WriteLine(output);
        foreach (var estimator in new[] { "Mlp", "TextClassification", "SentenceSimilarity", "NamedEntityRecognition", "QuestionAnswer", "ObjectDetection" })
            StringAssert.Contains(output, $"built {estimator}: ", $"{estimator}'s estimator in the shared MLContext");

        // Of Microsoft.ML.TorchSharp's references into TorchSharp, only the ones ObjectDetection's model
        // (AutoFormerV2) calls are missing from 0.107: the other four trainers call nothing that is gone.
        var callers = Regex.Matches(output, @"calls missing: (\S+) -> (\S+)").Select(m => m.Groups[1].Value).ToList();
        Assert.IsNotEmpty(callers, $"ObjectDetection's MissingMethodException is no longer found:\n{output}");
        foreach (var caller in callers)
            StringAssert.StartsWith(caller, "Microsoft.ML.TorchSharp.AutoFormerV2.", $"a trainer besides ObjectDetection calls a member TorchSharp 0.107 lacks:\n{output}");
    }
}
