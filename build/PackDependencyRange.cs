using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Xml.Linq;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

/// <summary>
/// In each package, sets the version of the dependency on <see cref="DependencyId"/> from <see cref="Built"/> (what the
/// project restored) to <see cref="Range"/>. A package whose nuspec declares that dependency with any other version
/// is an error, so a changed pin cannot slip through unwidened; a package without the dependency is left alone.
/// </summary>
public sealed class SetPackageDependencyVersion : Task
{
    [Required] public ITaskItem[] Packages { get; set; } = [];
    [Required] public string DependencyId { get; set; } = "";
    [Required] public string Built { get; set; } = "";
    [Required] public string Range { get; set; } = "";

    public override bool Execute()
    {
        foreach (var package in Packages.Select(p => p.GetMetadata("FullPath")).Where(File.Exists))
        {
            using var zip = ZipFile.Open(package, ZipArchiveMode.Update);
            var entry = zip.Entries.Single(e => !e.FullName.Contains('/') && e.FullName.EndsWith(".nuspec", StringComparison.OrdinalIgnoreCase));
            XDocument nuspec;
            using (var stream = entry.Open())
                nuspec = XDocument.Load(stream);
            var dependencies = nuspec.Descendants().Where(e => e.Name.LocalName == "dependency"
                && string.Equals((string)e.Attribute("id"), DependencyId, StringComparison.OrdinalIgnoreCase)).ToList();
            if (dependencies.Count == 0) continue;
            foreach (var dependency in dependencies)
            {
                string version = (string)dependency.Attribute("version") ?? "";
                if (version == Range) continue;
                if (version != Built)
                {
                    Log.LogError($"{Path.GetFileName(package)}: {DependencyId} is declared as '{version}', expected '{Built}' (the version built against) to widen to '{Range}'.");
                    return false;
                }
                dependency.SetAttributeValue("version", Range);
            }
            string name = entry.FullName;
            var written = entry.LastWriteTime;
            entry.Delete();
            var replaced = zip.CreateEntry(name, CompressionLevel.Optimal);
            replaced.LastWriteTime = written;
            using (var stream = replaced.Open())
                nuspec.Save(stream);
            Log.LogMessage(MessageImportance.Normal, $"{Path.GetFileName(package)}: {DependencyId} {Built} -> {Range}");
        }
        return true;
    }
}
