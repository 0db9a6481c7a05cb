using System.Text.RegularExpressions;

namespace MlNetMnist.Tests.Packaging;

/// <summary>
/// An app holding our packages (the add-on too) and Microsoft.ML.TorchSharp 0.23.1, ML.NET's TorchSharp trainers:
/// one TorchSharp for both, and which of ML.NET's trainers still work with it.
/// </summary>
[TestClass]
[TestCategory("Packaging")]
public sealed class TorchSharpInteropTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void MicrosoftMLTorchSharp_BesideTheAddOn_OneTorchSharp_AndOnlyObjectDetectionCallsWhatItLacks()
    {
        using var app = new FreshApp("InteropApp",
            [("MlNetMnist.DataViews", PackedFeed.Version), ("MlNetMnist.Trainers", PackedFeed.Version),
             ("MlNetMnist.Trainers.TorchSharp", PackedFeed.Version), ("Microsoft.ML.TorchSharp", "0.23.1")],
            [("Program.cs", FreshApp.AppSource("InteropApp.cs"))]);

        app.DotNet("restore");
        var (packages, _) = app.RestoredPackages();
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
