using System.Diagnostics;
using System.Globalization;

namespace MlNetMnist.Host.Bench;

/// <summary>
/// scikit-learn's MLPRegressor(64, 64), 20 epochs (issue 22's anchor), on the very rows `bench tabular` trains on: they
/// are written to CSV files and fitted by Debian's /usr/bin/python3 (python3-sklearn) in a child process, timed there
/// around fit only.
/// </summary>
internal static class SklearnAnchor
{
    public const string Python = "/usr/bin/python3";

    /// <summary>What was measured: fit seconds and test R²; or why nothing was (<see cref="Skipped"/>).</summary>
    public sealed record Outcome(double? FitSeconds, double? RSquared, string? Skipped);

    public static Outcome Friedman(FriedmanDataView train, FriedmanDataView test, CancellationToken cancellation)
    {
        if (Run("-c \"import sklearn, numpy\"", cancellation) is { ExitCode: not 0 } missing)
            return new(null, null, $"{Python} has no scikit-learn or numpy ({missing.Error.Trim()})");
        string folder = Directory.CreateTempSubdirectory("mlnet-mnist-friedman-").FullName;
        try
        {
            string trainCsv = Path.Combine(folder, "train.csv"), testCsv = Path.Combine(folder, "test.csv");
            WriteCsv(train, trainCsv);
            WriteCsv(test, testCsv);
            string script = Path.Combine(AppContext.BaseDirectory, "Bench", "sklearn_friedman.py");
            var fit = Run($"\"{script}\" \"{trainCsv}\" \"{testCsv}\"", cancellation);
            if (fit.ExitCode != 0) return new(null, null, $"scikit-learn failed (exit {fit.ExitCode}): {fit.Error.Trim()}");
            var parts = fit.Output.Trim().Split(' ');
            return new(double.Parse(parts[0], CultureInfo.InvariantCulture), double.Parse(parts[1], CultureInfo.InvariantCulture), null);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The view's rows as "x1,...,x10,y" lines, floats written round-trip.</summary>
    static void WriteCsv(FriedmanDataView view, string path)
    {
        using var writer = new StreamWriter(path);
        Span<float> features = stackalloc float[FriedmanDataView.FeatureCount];
        for (long row = 0; row < view.GetRowCount(); row++)
        {
            float label = view.Row(row, features);
            foreach (float x in features)
            {
                writer.Write(x.ToString("R", CultureInfo.InvariantCulture));
                writer.Write(',');
            }
            writer.WriteLine(label.ToString("R", CultureInfo.InvariantCulture));
        }
    }

    static (int ExitCode, string Output, string Error) Run(string arguments, CancellationToken cancellation)
    {
        if (!File.Exists(Python)) return (-1, "", $"{Python} not found");
        using var process = Process.Start(new ProcessStartInfo(Python, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        using var kill = cancellation.Register(() => process.Kill(entireProcessTree: true));
        var error = process.StandardError.ReadToEndAsync(cancellation);
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        cancellation.ThrowIfCancellationRequested();
        return (process.ExitCode, output, error.Result);
    }
}
