using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Xml.Linq;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

/// <summary>
/// In each package, sets the version of each dependency in <see cref="Dependencies"/> (item: the package id; metadata
/// Built, the version the project restored, and Range) from Built to Range. A package whose nuspec declares one of
/// them with any other version is an error, so a changed pin cannot slip through unwidened; a package without any of
/// them is left alone.
/// </summary>
public sealed class SetPackageDependencyVersion : Task
{
    [Required] public ITaskItem[] Packages { get; set; } = [];
    [Required] public ITaskItem[] Dependencies { get; set; } = [];

    public override bool Execute()
    {
        foreach (var package in Packages.Select(p => p.GetMetadata("FullPath")).Where(File.Exists))
            foreach (var dependency in Dependencies)
                if (!Widen(package, dependency.ItemSpec, dependency.GetMetadata("Built"), dependency.GetMetadata("Range")))
                    return false;
        return true;
    }

    bool Widen(string package, string id, string built, string range)
    {
        using var zip = ZipFile.Open(package, ZipArchiveMode.Update);
        var entry = zip.Entries.Single(e => !e.FullName.Contains('/') && e.FullName.EndsWith(".nuspec", StringComparison.OrdinalIgnoreCase));
        XDocument nuspec;
        using (var stream = entry.Open())
            nuspec = XDocument.Load(stream);
        var dependencies = nuspec.Descendants().Where(e => e.Name.LocalName == "dependency"
            && string.Equals((string)e.Attribute("id"), id, StringComparison.OrdinalIgnoreCase)).ToList();
        if (dependencies.All(d => (string)d.Attribute("version") == range)) return true;
        foreach (var dependency in dependencies)
        {
            string version = (string)dependency.Attribute("version") ?? "";
            if (version != built && version != range)
            {
                Log.LogError($"{Path.GetFileName(package)}: {id} is declared as '{version}', expected '{built}' (the version built against) to widen to '{range}'.");
                return false;
            }
            dependency.SetAttributeValue("version", range);
        }
        string name = entry.FullName;
        var written = entry.LastWriteTime;
        entry.Delete();
        var replaced = zip.CreateEntry(name, CompressionLevel.Optimal);
        replaced.LastWriteTime = written;
        using (var stream = replaced.Open())
            nuspec.Save(stream);
        Log.LogMessage(MessageImportance.Normal, $"{Path.GetFileName(package)}: {id} {built} -> {range}");
        return true;
    }
}
