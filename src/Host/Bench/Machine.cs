using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Text;

namespace MlNetMnist.Host.Bench;

/// <summary>What a speed figure needs beside it: the processor and the vector width the managed kernels ran with.</summary>
public static class Machine
{
    /// <summary>The processor's brand string (CPUID leaves 0x80000002-4), else /proc/cpuinfo's model name, else the architecture.</summary>
    public static string Processor { get; } = Find();

    static string Find()
    {
        if (X86Base.IsSupported && (uint)X86Base.CpuId(unchecked((int)0x80000000), 0).Eax >= 0x80000004)
        {
            var brand = new StringBuilder();
            for (uint leaf = 0x80000002; leaf <= 0x80000004; leaf++)
            {
                var (a, b, c, d) = X86Base.CpuId(unchecked((int)leaf), 0);
                foreach (int register in new[] { a, b, c, d })
                    for (int i = 0; i < 4; i++) brand.Append((char)((register >> (8 * i)) & 0xFF));
            }
            string name = brand.ToString().Trim('\0', ' ');
            if (name.Length > 0) return string.Join(' ', name.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        }
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (line is not null) return line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
    }

    /// <summary>
    /// The widest vectors the runtime accelerates, as the kernels' Vector512 code runs: 512-bit on AVX-512 (unless
    /// DOTNET_EnableAVX512=0: .NET 10 ignores the older DOTNET_EnableAVX512F), else as two 256-bit halves, and so on.
    /// </summary>
    public static string VectorWidth =>
        Vector512.IsHardwareAccelerated ? "512-bit (AVX-512)"
        : Vector256.IsHardwareAccelerated ? "256-bit (AVX2; 512-bit vectors run as two halves)"
        : Vector128.IsHardwareAccelerated ? "128-bit" : "none (scalar)";

    /// <summary>A line for any speed report: processor, logical cores, vector width, and the load average when the system tells it.</summary>
    public static string Describe() => $"processor: {Processor}, {Environment.ProcessorCount} logical cores; vectors: {VectorWidth}{Load()}";

    static string Load()
    {
        try
        {
            return File.Exists("/proc/loadavg") ? $"; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} (1 min)" : "";
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>"2.41x faster" for a ratio above 1 (baseline time over ours), "2.41x slower" below.</summary>
    public static string Ratio(double baselineSeconds, double seconds) =>
        baselineSeconds >= seconds ? $"{baselineSeconds / seconds:F2}x faster" : $"{seconds / baselineSeconds:F2}x slower";
}
