using System.Runtime.CompilerServices;

// Added to every fresh app of the packaging tests beside its Program.cs: at exit, prints the files this process has
// mapped (/proc/self/maps) whose name mentions torch: libtorch*.so, libLibTorchSharp.so, TorchSharp.dll.
static class TorchMaps
{
#pragma warning disable CA2255 // a module initializer is the way to run code in a program whose Main we do not write
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void ReportAtExit() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        var torch = File.ReadLines("/proc/self/maps")
            .Select(line => line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields.Length == 6)
            .Select(fields => Path.GetFileName(fields[5].Trim()))
            .Where(name => name.Contains("torch", StringComparison.OrdinalIgnoreCase))
            .Distinct().Order(StringComparer.Ordinal);
        Console.WriteLine($"mapped torch files: [{string.Join(", ", torch)}]");
    };
}
