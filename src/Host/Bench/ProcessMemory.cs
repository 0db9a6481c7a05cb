namespace MlNetMnist.Host.Bench;

/// <summary>This process's memory as Linux counts it.</summary>
internal static class ProcessMemory
{
    /// <summary>
    /// The peak resident set size so far (VmHWM of /proc/self/status: the kernel's high-water mark, every page the
    /// process ever held at once, managed heap, native libraries and code alike), in MB of 10^6 bytes; NaN where /proc is missing.
    /// </summary>
    public static double PeakResidentMegabytes()
    {
        const string Status = "/proc/self/status";
        if (!File.Exists(Status)) return double.NaN;
        var line = File.ReadLines(Status).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? double.NaN : long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0]) * 1024 / 1e6;
    }
}
