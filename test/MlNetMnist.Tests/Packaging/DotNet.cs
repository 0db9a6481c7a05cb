using System.Diagnostics;
using System.Text;

namespace MlNetMnist.Tests.Packaging;

/// <summary>Runs the dotnet CLI as a child process, for the packaging tests' pack, restore, build and run.</summary>
internal static class DotNet
{
    /// <summary>Runs <c>dotnet args</c> in <paramref name="workingDirectory"/>; returns the exit code and stdout + stderr.</summary>
    public static (int ExitCode, string Output) Run(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet", args)
        {
            WorkingDirectory = workingDirectory, UseShellExecute = false,
            RedirectStandardOutput = true, RedirectStandardError = true,
        };
        // The test host's MSBuild variables point at this build, not at the child's.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(name);
        // No build server or compiler server left running: it would hold our output pipes open after the build.
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_DO_NOT_USE_MSBUILD_SERVER"] = "1";
        start.Environment["UseSharedCompilation"] = "false";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        // Numbers in the programs' output are parsed: format them culture-invariantly.
        start.Environment["DOTNET_SYSTEM_GLOBALIZATION_INVARIANT"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
            start.Environment[name] = value;

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"'dotnet {string.Join(' ', args)}' in {workingDirectory} did not finish in 10 minutes:\n{output}");
        }
        process.WaitForExit(); // drains the output events
        lock (output) return (process.ExitCode, output.ToString());
    }
}
