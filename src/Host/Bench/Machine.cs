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
    /// CPUID's family and model (leaf 1, extended fields added as the vendors define them), as /proc/cpuinfo's "cpu
    /// family" and "model": cloud brand strings such as "AMD EPYC" name no generation, and Zen 4 and Zen 5 (family 25
    /// and 26) time differently. Null off x86.
    /// </summary>
    public static (int Family, int Model)? FamilyAndModel { get; } = FindFamilyAndModel();

    static (int, int)? FindFamilyAndModel()
    {
        if (!X86Base.IsSupported) return null;
        int eax = X86Base.CpuId(1, 0).Eax;
        int baseFamily = (eax >> 8) & 0xF, baseModel = (eax >> 4) & 0xF;
        int family = baseFamily == 0xF ? baseFamily + ((eax >> 20) & 0xFF) : baseFamily;
        int model = baseFamily is 0x6 or 0xF ? baseModel | (((eax >> 16) & 0xF) << 4) : baseModel;
        return (family, model);
    }

    /// <summary>
    /// The widest vectors the runtime accelerates, as the kernels' Vector512 code runs: 512-bit on AVX-512 (unless
    /// DOTNET_EnableAVX512=0: .NET 10 ignores the older DOTNET_EnableAVX512F), else as two 256-bit halves, and so on.
    /// </summary>
    public static string VectorWidth =>
        Vector512.IsHardwareAccelerated ? "512-bit (AVX-512)"
        : Vector256.IsHardwareAccelerated ? "256-bit (AVX2; 512-bit vectors run as two halves)"
        : Vector128.IsHardwareAccelerated ? "128-bit" : "none (scalar)";

    /// <summary>A line for any speed report: processor (with its family and model), logical cores, vector width, and the load average when the system tells it.</summary>
    public static string Describe() => $"processor: {Processor}{Generation()}, {Environment.ProcessorCount} logical cores; vectors: {VectorWidth}{Load()}";

    static string Generation() => FamilyAndModel is var (family, model) ? $" (family {family} model {model})" : "";

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
