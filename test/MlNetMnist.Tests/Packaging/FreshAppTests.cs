using System.IO.Compression;
using System.Xml.Linq;
using MlNetMnist.DataViews;

namespace MlNetMnist.Tests.Packaging;

/// <summary>
/// What a new user does: dotnet pack, then a console app outside the repository that takes the packages from that
/// folder (<see cref="FreshApp"/>) and runs samples/QuickStart's program with dotnet run.
/// </summary>
[TestClass]
[TestCategory("Packaging")]
public sealed class FreshAppTests
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void Pack_WritesTheLibraryPackages_WithSymbols()
    {
        var written = Directory.GetFiles(PackedFeed.Directory).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        var expected = PackedFeed.PackageIds
            .SelectMany(id => new[] { $"{id}.{PackedFeed.Version}.nupkg", $"{id}.{PackedFeed.Version}.snupkg" })
            .Order(StringComparer.Ordinal).ToList();
        CollectionAssert.AreEqual(expected, written, "Host, tests, benchmarks, ModelProbe and QuickStart are not packable");
    }

    [TestMethod]
    public void Packages_DeclareTheTestedMicrosoftMLVersions_CarryTheirMetadata_AndOnlyTheAddOnDependsOnTorchSharp()
    {
        foreach (var id in PackedFeed.PackageIds)
        {
            using var package = ZipFile.OpenRead(Path.Combine(PackedFeed.Directory, $"{id}.{PackedFeed.Version}.nupkg"));
            var entries = package.Entries.Select(e => e.FullName).ToHashSet();
            XElement metadata;
            using (var nuspec = package.GetEntry($"{id}.nuspec")!.Open())
                metadata = XDocument.Load(nuspec).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
            string? Field(string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value;
            var dependencies = metadata.Descendants().Where(e => e.Name.LocalName == "dependency")
                .ToDictionary(e => e.Attribute("id")!.Value, e => e.Attribute("version")!.Value);

            Assert.IsFalse(string.IsNullOrWhiteSpace(Field("description")) || Field("description") == "Package Description", $"{id}: description");
            Assert.AreEqual("MIT", Field("license"), $"{id}: license expression");
            Assert.AreEqual("README.md", Field("readme"), $"{id}: readme");
            Assert.IsTrue(entries.Contains("README.md"), $"{id}: README.md inside");
            StringAssert.StartsWith(metadata.Elements().Single(e => e.Name.LocalName == "repository").Attribute("url")?.Value ?? "", "https://", $"{id}: repository url");
            Assert.IsTrue(entries.Contains($"lib/net10.0/{id}.xml"), $"{id}: XML docs");
            // We bind to ML.NET internals: each package declares the range of versions the fresh apps below are tested on,
            // and no publicized copy rides along.
            if (id is "MlNetMnist.DataViews" or "MlNetMnist.Trainers" or "MlNetMnist.Trainers.Serving")
                Assert.AreEqual($"[{PackedFeed.MlNetVersions[0].MlNet}, {PackedFeed.MlNetVersions[^1].MlNet}]", dependencies["Microsoft.ML"], $"{id}: Microsoft.ML range");
            if (id == "MlNetMnist.Trainers.Onnx")
                Assert.AreEqual($"[{PackedFeed.MlNetVersions[0].AddOns}, {PackedFeed.MlNetVersions[^1].AddOns}]", dependencies["Microsoft.ML.OnnxConverter"], $"{id}: OnnxConverter range");
            Assert.IsFalse(entries.Any(e => e.Contains("Microsoft.ML", StringComparison.OrdinalIgnoreCase)), $"{id} carries an ML.NET assembly: {string.Join(", ", entries)}");
            Assert.AreEqual(id == "MlNetMnist.Trainers.TorchSharp", dependencies.ContainsKey("TorchSharp-cpu"), $"{id}: TorchSharp-cpu dependency");
        }

        // The core takes no web, hosting or ONNX dependency: those come with the add-ons that need them.
        using (var core = ZipFile.OpenRead(Path.Combine(PackedFeed.Directory, $"MlNetMnist.Trainers.{PackedFeed.Version}.nupkg")))
        using (var nuspec = core.GetEntry("MlNetMnist.Trainers.nuspec")!.Open())
        {
            var ids = XDocument.Load(nuspec).Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => e.Attribute("id")!.Value).ToList();
            CollectionAssert.AreEquivalent(new[] { "MlNetMnist.DataViews", "Microsoft.ML", "System.Numerics.Tensors" }, ids, string.Join(", ", ids));
        }

        using var addOn = ZipFile.OpenRead(Path.Combine(PackedFeed.Directory, $"MlNetMnist.Trainers.TorchSharp.{PackedFeed.Version}.nupkg"));
        var buildTransitive = addOn.Entries.Select(e => e.FullName).Where(e => e.StartsWith("buildTransitive/", StringComparison.Ordinal)).Order(StringComparer.Ordinal);
        CollectionAssert.AreEqual(
            new[] { "buildTransitive/MlNetMnist.Trainers.TorchSharp.targets", "buildTransitive/WeakenGlibcxxRequirement.cs" },
            buildTransitive.ToList(), "the GLIBCXX fix for the apps that take the add-on");
    }

    [TestMethod]
    [DataRow("5.0.1")]
    [DataRow("6.0.0")]
    public void QuickStart_FromThePackages_OnEachMicrosoftML_TrainsSavesLoadsAndPredicts_WithoutLibtorch(string mlNetVersion)
    {
        PackedFeed.AddOnVersion(mlNetVersion);   // one of the versions the packages declare
        using var app = new FreshApp("QuickStartApp",
            [("Microsoft.ML", mlNetVersion), ("MlNetMnist.DataViews", PackedFeed.Version), ("MlNetMnist.Trainers", PackedFeed.Version)],
            [("Program.cs", FreshApp.RepositoryFile("samples", "QuickStart", "Program.cs")), ("TorchMaps.cs", FreshApp.AppSource("TorchMaps.cs"))]);

        // With TreatWarningsAsErrors, an app whose Microsoft.ML falls outside what our packages declare fails its restore
        // (NU1608 above the range, NU1605 below it).
        app.DotNet("restore");
        var (packages, _) = app.RestoredPackages();
        CollectionAssert.Contains(packages.ToList(), $"Microsoft.ML/{mlNetVersion}", "the app's own Microsoft.ML");
        var torch = packages.Where(p => p.StartsWith("libtorch", StringComparison.OrdinalIgnoreCase)
                                        || p.StartsWith("TorchSharp", StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.AreEqual(0, torch.Count, $"the core packages pulled in: {string.Join(", ", torch)}");

        string output = app.DotNet("run", "-c", "Release");
        TestContext.WriteLine(output);
        Assert.IsGreaterThanOrEqualTo(0.96, FreshApp.Number(output, "test accuracy"), output);
        Assert.IsTrue(new FileInfo(app.File("mnist-mlp.zip")).Length > 0, "the model was not saved");
        // The model loaded back from the zip names MNIST's first test digit.
        int firstLabel = IdxFile.Read(TestData.Mnist.TestLabels, 1).Item(0)[0];
        StringAssert.Contains(output, $"the first test digit is a {firstLabel}");
        var mapped = FreshApp.MappedTorchFiles(output);
        Assert.AreEqual(0, mapped.Length, $"the default engine's process mapped: {string.Join(", ", mapped)}");

        long bin = app.BinBytes(), restored = app.RestoredBytes();
        TestContext.WriteLine($"default engine: bin {bin / 1e6:F1} MB; restore {packages.Count} packages, {restored / 1e6:F1} MB: {string.Join(", ", packages)}");
        Assert.IsLessThan(40_000_000L, bin, $"bin folder {bin:N0} bytes");
    }

    [TestMethod]
    public void AutogradEngine_FromTheAddOnPackage_TrainsOnLibtorch()
    {
        using var app = new FreshApp("AutogradApp",
            [("Microsoft.ML", PackedFeed.MlNetVersions[^1].MlNet), ("MlNetMnist.DataViews", PackedFeed.Version), ("MlNetMnist.Trainers.TorchSharp", PackedFeed.Version)],
            [("Program.cs", FreshApp.AppSource("AutogradApp.cs")), ("TorchMaps.cs", FreshApp.AppSource("TorchMaps.cs"))]);

        app.DotNet("restore");
        // On Debian 12 this trains only if the add-on's buildTransitive targets weakened libLibTorchSharp's GLIBCXX_3.4.32.
        string output = app.DotNet("run", "-c", "Release");
        TestContext.WriteLine(output);
        Assert.IsGreaterThanOrEqualTo(0.85, FreshApp.Number(output, "test accuracy"), output);
        Assert.IsTrue(new FileInfo(app.File("mnist-mlp.zip")).Length > 0, "the model was not saved");
        StringAssert.Matches(output, new System.Text.RegularExpressions.Regex(@"the first test digit is a \d"));
        CollectionAssert.Contains(FreshApp.MappedTorchFiles(output), "libLibTorchSharp.so", "the autograd engine runs on libtorch");

        var (packages, _) = app.RestoredPackages();
        long bin = app.BinBytes(), restored = app.RestoredBytes();
        TestContext.WriteLine($"autograd add-on: bin {bin / 1e6:F1} MB; restore {packages.Count} packages, {restored / 1e6:F1} MB: {string.Join(", ", packages)}");
    }

    [TestMethod]
    public void ServingPackage_InAFreshApp_PoolsPredictionsFromManyThreads()
    {
        using var app = new FreshApp("ServingApp",
            [("MlNetMnist.DataViews", PackedFeed.Version), ("MlNetMnist.Trainers", PackedFeed.Version), ("MlNetMnist.Trainers.Serving", PackedFeed.Version),
             ("Microsoft.Extensions.DependencyInjection", FreshApp.CentralVersion("Microsoft.Extensions.ObjectPool"))],
            [("Program.cs", FreshApp.AppSource("ServingApp.cs"))]);
        app.DotNet("restore");
        string output = app.DotNet("run", "-c", "Release");
        TestContext.WriteLine(output);
        Assert.AreEqual(2000, FreshApp.Number(output, "pool answers"), output);
        Assert.AreEqual(0, FreshApp.Number(output, "mismatches"), output);
    }

    [TestMethod]
    [DataRow("5.0.1")]
    [DataRow("6.0.0")]
    public void OnnxPackage_InAFreshApp_OnEachMicrosoftML_ExportsWhatOnnxRuntimeScoresAlike(string mlNetVersion)
    {
        // The export binds to the converter's internals too: the app takes the converter that pairs with its Microsoft.ML.
        string converter = PackedFeed.AddOnVersion(mlNetVersion);
        using var app = new FreshApp("OnnxApp",
            [("Microsoft.ML", mlNetVersion), ("Microsoft.ML.OnnxConverter", converter),
             ("MlNetMnist.DataViews", PackedFeed.Version), ("MlNetMnist.Trainers", PackedFeed.Version), ("MlNetMnist.Trainers.Onnx", PackedFeed.Version),
             ("Microsoft.ML.OnnxTransformer", mlNetVersion),
             ("Microsoft.ML.OnnxRuntime", FreshApp.CentralVersion("Microsoft.ML.OnnxRuntime"))],
            [("Program.cs", FreshApp.AppSource("OnnxApp.cs"))]);
        app.DotNet("restore");
        var (packages, _) = app.RestoredPackages();
        CollectionAssert.IsSubsetOf(new[] { $"Microsoft.ML/{mlNetVersion}", $"Microsoft.ML.OnnxConverter/{converter}" }, packages.ToList());
        string output = app.DotNet("run", "-c", "Release");
        TestContext.WriteLine(output);
        Assert.AreEqual(1000, FreshApp.Number(output, "onnx rows"), output);
        Assert.IsTrue(FreshApp.Number(output, "largest difference") < 1e-5, output);
        Assert.AreEqual(0, FreshApp.Number(output, "classes that differ"), output);
    }
}
