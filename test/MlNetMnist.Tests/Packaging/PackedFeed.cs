namespace MlNetMnist.Tests.Packaging;

/// <summary>
/// The library packages as <c>dotnet pack MlNetMnist.sln</c> writes them, packed once per test run from the assemblies
/// this test run was built with (--no-build) into a temporary folder. They carry a version of their own
/// (1.0.0-fresh.time.pid) so that no copy left in the NuGet cache by an earlier run or by hand stands in for them;
/// <see cref="PackagingCleanup"/> removes that version from the cache again.
/// </summary>
internal static class PackedFeed
{
    public static readonly string[] PackageIds =
        ["MlNetMnist.DataViews", "MlNetMnist.Trainers", "MlNetMnist.Trainers.TorchSharp", "MlNetMnist.Trainers.Serving", "MlNetMnist.Trainers.Onnx"];

    static readonly Lazy<(string Directory, string Version)> _packed = new(Pack);
    static readonly HashSet<string> _packageFolders = [];

    /// <summary>The folder holding the .nupkg and .snupkg files.</summary>
    public static string Directory => _packed.Value.Directory;

    public static string Version => _packed.Value.Version;

    public static bool IsPacked => _packed.IsValueCreated;

    /// <summary>The repository's root, found upwards from the test assembly by MlNetMnist.sln.</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>Remembers a NuGet packages folder a fresh app restored into, for the cleanup.</summary>
    public static void RestoredInto(IEnumerable<string> packageFolders)
    {
        lock (_packageFolders) _packageFolders.UnionWith(packageFolders);
    }

    static (string, string) Pack()
    {
        // The test assembly sits in test/MlNetMnist.Tests/bin/<Configuration>/<tfm>/: pack that configuration.
        string configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        string version = $"1.0.0-fresh.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
        string directory = System.IO.Directory.CreateTempSubdirectory("mlnet-mnist-packages-").FullName;
        var (exitCode, output) = DotNet.Run(RepositoryRoot, null,
            "pack", "MlNetMnist.sln", "-c", configuration, "--no-build", "-o", directory, $"-p:PackageVersion={version}");
        if (exitCode != 0)
            throw new InvalidOperationException($"dotnet pack failed ({exitCode}):\n{output}");
        return (directory, version);
    }

    /// <summary>Deletes the packed folder and this run's version from every NuGet packages folder a fresh app used.</summary>
    public static void Cleanup()
    {
        if (!IsPacked) return;
        TryDelete(Directory);
        lock (_packageFolders)
            foreach (var folder in _packageFolders)
                foreach (var id in PackageIds)
                {
                    TryDelete(Path.Combine(folder, id.ToLowerInvariant(), Version.ToLowerInvariant()));
                    TryDelete(Path.Combine(folder, id.ToLowerInvariant()), onlyIfEmpty: true);
                }
    }

    static void TryDelete(string directory, bool onlyIfEmpty = false)
    {
        try { if (System.IO.Directory.Exists(directory)) System.IO.Directory.Delete(directory, recursive: !onlyIfEmpty); }
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
