using System.Globalization;
using System.Security;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace MlNetMnist.Tests.Packaging;

/// <summary>
/// A console app in a temporary folder outside the source tree that takes our packages from <see cref="PackedFeed"/>
/// as any app would: its own nuget.config adds that folder to this machine's NuGet sources, and empty
/// Directory.Build.props/.targets and Directory.Packages.props stop MSBuild from looking further up for any.
/// It restores into the test run's own NuGet packages folder (<see cref="PackedFeed.Environment"/>), never this
/// machine's, and builds with TreatWarningsAsErrors, as a strict app does: a NuGet warning such as NU1608 fails it.
/// The folder is deleted on Dispose.
/// </summary>
internal sealed class FreshApp : IDisposable
{
    readonly string _root;
    readonly Dictionary<string, string> _environment;

    public string Path { get; }

    /// <param name="name">The app's name (its folder and assembly).</param>
    /// <param name="packages">PackageReferences: id and version.</param>
    /// <param name="sources">Source files: name in the app, text.</param>
    /// <param name="warningsNotAsErrors">Warning codes (MSBuild's WarningsNotAsErrors) that stay warnings.</param>
    public FreshApp(string name, IEnumerable<(string Id, string Version)> packages, IEnumerable<(string Name, string Text)> sources,
                    string warningsNotAsErrors = "")
    {
        _root = Directory.CreateTempSubdirectory("mlnet-mnist-app-").FullName;
        Path = System.IO.Path.Combine(_root, name);
        Directory.CreateDirectory(Path);
        System.IO.File.WriteAllText(File("nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="mlnet-mnist-packed" value="{SecurityElement.Escape(PackedFeed.Directory)}" />
              </packageSources>
            </configuration>
            """);
        foreach (var isolation in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" })
            System.IO.File.WriteAllText(File(isolation), "<Project />\n");
        string references = string.Join("\n", packages.Select(p => $"""    <PackageReference Include="{p.Id}" Version="{p.Version}" />"""));
        System.IO.File.WriteAllText(File(name + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                <WarningsNotAsErrors>{warningsNotAsErrors}</WarningsNotAsErrors>
              </PropertyGroup>
              <ItemGroup>
            {references}
              </ItemGroup>
            </Project>
            """);
        foreach (var (file, text) in sources)
            System.IO.File.WriteAllText(File(file), text);
        // MNIST where the test suite keeps it, so the app finds it as the user cache.
        _environment = new(PackedFeed.Environment) { ["MLNET_MNIST_DATA"] = TestData.MnistFolder };
    }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Runs a dotnet command in the app's folder; a failure fails the test with the command's output.</summary>
    public string DotNet(params string[] args)
    {
        var (exitCode, output) = Packaging.DotNet.Run(Path, _environment, args);
        Assert.AreEqual(0, exitCode, $"'dotnet {string.Join(' ', args)}' failed in {Path}:\n{output}");
        return output;
    }

    /// <summary>
    /// The restored packages (id/version) from obj/project.assets.json, and the packages folders they are in: the run's
    /// own folder, and nothing else (checked).
    /// </summary>
    public (IReadOnlyList<string> Packages, IReadOnlyList<string> Folders) RestoredPackages()
    {
        using var assets = JsonDocument.Parse(System.IO.File.ReadAllText(System.IO.Path.Combine(Path, "obj", "project.assets.json")));
        var packages = assets.RootElement.GetProperty("libraries").EnumerateObject()
            .Where(library => library.Value.GetProperty("type").GetString() == "package")
            .Select(library => library.Name).Order(StringComparer.OrdinalIgnoreCase).ToList();
        var folders = assets.RootElement.GetProperty("packageFolders").EnumerateObject().Select(folder => folder.Name).ToList();
        CollectionAssert.AreEqual(new[] { PackedFeed.PackagesFolder }, folders.Select(f => f.TrimEnd('/', '\\')).ToList(), "the app restored into another packages folder");
        return (packages, folders);
    }

    /// <summary>Bytes on disk of the restored packages' folders (the nupkg and what NuGet extracted from it).</summary>
    public long RestoredBytes()
    {
        var (packages, folders) = RestoredPackages();
        return packages.Sum(package =>
        {
            string relative = package.ToLowerInvariant();
            string? folder = folders.Select(f => System.IO.Path.Combine(f, relative)).FirstOrDefault(Directory.Exists);
            return folder is null ? 0 : DirectoryBytes(folder);
        });
    }

    /// <summary>Bytes of the Release build output (bin/Release/net10.0).</summary>
    public long BinBytes() => DirectoryBytes(System.IO.Path.Combine(Path, "bin", "Release", "net10.0"));

    /// <summary>A number the program printed after <paramref name="label"/>, e.g. "test accuracy 0.9694".</summary>
    public static double Number(string output, string label)
    {
        var match = Regex.Match(output, Regex.Escape(label) + @" ([-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)");
        Assert.IsTrue(match.Success, $"no '{label} <number>' line in:\n{output}");
        return double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    /// <summary>The file names the program's <c>TorchMaps</c> reported as mapped.</summary>
    public static string[] MappedTorchFiles(string output)
    {
        var match = Regex.Match(output, @"mapped torch files: \[(.*)\]");
        Assert.IsTrue(match.Success, $"no 'mapped torch files' line in:\n{output}");
        return match.Groups[1].Value.Split(", ", StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>A source file of test/MlNetMnist.Tests/Packaging/Apps, or any file of the repository.</summary>
    public static string RepositoryFile(params string[] parts) =>
        System.IO.File.ReadAllText(System.IO.Path.Combine([PackedFeed.RepositoryRoot, .. parts]));

    /// <summary>The version Directory.Packages.props gives <paramref name="id"/>, so that an app takes what the repository builds with.</summary>
    public static string CentralVersion(string id) =>
        System.Xml.Linq.XDocument.Load(System.IO.Path.Combine(PackedFeed.RepositoryRoot, "Directory.Packages.props")).Descendants("PackageVersion")
            .Single(p => (string?)p.Attribute("Include") == id).Attribute("Version")!.Value.Trim('[', ']');

    public static string AppSource(string name) => RepositoryFile("test", "MlNetMnist.Tests", "Packaging", "Apps", name);

    static long DirectoryBytes(string directory) =>
        new DirectoryInfo(directory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(file => file.Length);

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }
}
