using System.Diagnostics;
using Microsoft.ML;

namespace MlNetMnist.Tests;

/// <summary>Runs test/MlNetMnist.ModelProbe in a separate process: load a model zip there and score rows.</summary>
internal static class ModelProbe
{
    static string ProbeDll()
    {
        // The probe builds beside the tests: test/MlNetMnist.ModelProbe/bin/<Configuration>/<tfm>/.
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string tfm = testBin.Name, configuration = testBin.Parent!.Name;
        string testRoot = testBin.Parent!.Parent!.Parent!.Parent!.FullName;
        string dll = Path.Combine(testRoot, "MlNetMnist.ModelProbe", "bin", configuration, tfm, "MlNetMnist.ModelProbe.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException("The model probe is not built.", dll);
    }

    /// <summary>Scores <paramref name="input"/> with the zip in a fresh process; returns (exit code, stderr, output view).</summary>
    public static (int ExitCode, string Error, IDataView? Output) Score(MLContext ml, string modelZip, IDataView input, TempDirectory dir)
    {
        string inputPath = dir.File("input.idv"), outputPath = dir.File("output.idv");
        using (var stream = File.Create(inputPath))
            ml.Data.SaveAsBinary(input, stream, keepHidden: false);
        var start = new ProcessStartInfo("dotnet", [ProbeDll(), modelZip, inputPath, outputPath])
        {
            RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false,
        };
        using var process = Process.Start(start)!;
        string error = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("The model probe did not finish in two minutes.");
        }
        return (process.ExitCode, error.Trim(), process.ExitCode == 0 ? ml.Data.LoadFromBinary(outputPath) : null);
    }
}
