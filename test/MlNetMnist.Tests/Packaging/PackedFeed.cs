namespace MlNetMnist.Tests.Packaging;

/// <summary>
/// The library packages as <c>dotnet pack MlNetMnist.sln</c> writes them, packed once per test run from the assemblies
/// this test run was built with (--no-build) into a temporary folder, beside the NuGet packages folder and HTTP cache
/// that every fresh app of the run restores into (<see cref="Environment"/>). Those start empty, as a new user's do:
/// what an app restores comes from that packed folder and the NuGet feed, never from a copy already on this machine.
/// </summary>
internal static class PackedFeed
{
    public static readonly string[] PackageIds =
        ["MlNetMnist.DataViews", "MlNetMnist.Trainers", "MlNetMnist.Trainers.TorchSharp", "MlNetMnist.Trainers.Serving", "MlNetMnist.Trainers.Onnx"];

    /// <summary>
    /// The versions of Microsoft.ML the packages declare and are tested against, each with the version of ML.NET's 0.x
    /// add-ons (OnnxConverter, TorchSharp) released beside it (Directory.Packages.props).
    /// </summary>
    public static readonly (string MlNet, string AddOns)[] MlNetVersions = [("5.0.1", "0.23.1"), ("6.0.0", "0.24.0")];

    /// <summary>The add-ons' version that pairs with <paramref name="mlNetVersion"/>, which must be one we declare.</summary>
    public static string AddOnVersion(string mlNetVersion) =>
        MlNetVersions.SingleOrDefault(v => v.MlNet == mlNetVersion).AddOns ?? throw new AssertFailedException($"Microsoft.ML {mlNetVersion} is not one the packages declare");

    static readonly Lazy<(string Root, string Version)> _packed = new(Pack);

    /// <summary>The folder holding the .nupkg and .snupkg files.</summary>
    public static string Directory => Path.Combine(_packed.Value.Root, "feed");

    /// <summary>The NuGet packages folder (NUGET_PACKAGES) of this run's fresh apps, empty when the run began.</summary>
    public static string PackagesFolder => Path.Combine(_packed.Value.Root, "nuget-packages");

    /// <summary>The packages' version, as the build sets it.</summary>
    public static string Version => _packed.Value.Version;

    /// <summary>The NuGet settings of a fresh app's dotnet commands: this run's own packages folder and HTTP cache.</summary>
    public static IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["NUGET_PACKAGES"] = PackagesFolder,
        ["NUGET_HTTP_CACHE_PATH"] = Path.Combine(_packed.Value.Root, "nuget-http-cache"),
    };

    public static bool IsPacked => _packed.IsValueCreated;

    /// <summary>The repository's root, found upwards from the test assembly by MlNetMnist.sln.</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    static (string, string) Pack()
    {
        // The test assembly sits in test/MlNetMnist.Tests/bin/<Configuration>/<tfm>/: pack that configuration.
        string configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        string root = System.IO.Directory.CreateTempSubdirectory("mlnet-mnist-packages-").FullName;
        string feed = Path.Combine(root, "feed");
        var (exitCode, output) = DotNet.Run(RepositoryRoot, null, "pack", "MlNetMnist.sln", "-c", configuration, "--no-build", "-o", feed);
        if (exitCode != 0)
            throw new InvalidOperationException($"dotnet pack failed ({exitCode}):\n{output}");
        string suffix = ".nupkg", prefix = PackageIds[0] + ".";
        string version = Path.GetFileName(System.IO.Directory.GetFiles(feed, prefix + "*" + suffix).Single())[prefix.Length..^suffix.Length];
        return (root, version);
    }

    /// <summary>Deletes the packed folder and this run's NuGet folders.</summary>
    public static void Cleanup()
    {
        if (IsPacked) TryDelete(_packed.Value.Root);
    }

    static void TryDelete(string directory)
    {
        try { if (System.IO.Directory.Exists(directory)) System.IO.Directory.Delete(directory, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "MlNetMnist.sln")))
                return dir.FullName;
        throw new DirectoryNotFoundException($"No MlNetMnist.sln above {AppContext.BaseDirectory}.");
    }
}

[TestClass]
public static class PackagingCleanup
{
    [AssemblyCleanup]
    public static void DeletePackedFeed() => PackedFeed.Cleanup();
}
