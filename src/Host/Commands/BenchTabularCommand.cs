using System.CommandLine;
using System.Globalization;
using System.Text;
using MlNetMnist.Host.Bench;
using Spectre.Console;

namespace MlNetMnist.Host.Commands;

/// <summary>
/// `bench tabular`: our Mlp beside ML.NET's FastTree, LightGbm and Sdca on scikit-learn's small sets (5-fold
/// cross-validation, the same folds for every trainer) and on Friedman #1, with scikit-learn's MLP timed on the same
/// Friedman rows when /usr/bin/python3 has it; one markdown table, the recipes under it, and the peak resident memory.
/// </summary>
internal static class BenchTabularCommand
{
    const string SmallSetsPart = "small", FriedmanPart = "friedman";

    public static Command Create(IAnsiConsole console)
    {
        var rows = new Option<long>("--friedman-rows") { Description = "Friedman #1 training rows (generated as read, never held by the view).", DefaultValueFactory = _ => 200_000, CustomParser = CommonOptions.Number<long>(n => n >= 1, "at least 1") };
        var testRows = new Option<long>("--friedman-test-rows") { Description = "Friedman #1 rows to score R² on (another seed).", DefaultValueFactory = _ => 50_000, CustomParser = CommonOptions.Number<long>(n => n >= 2, "at least 2") };
        var epochs = new Option<int>("--friedman-epochs") { Description = "Our Mlp's epochs on Friedman #1.", DefaultValueFactory = _ => TabularRecipes.FriedmanEpochs, CustomParser = CommonOptions.AtLeast(1) };
        var only = new Option<string?>("--only") { Description = $"Run one part: {SmallSetsPart} (the three CSVs) or {FriedmanPart}." }
            .AcceptOnlyFromAmong(SmallSetsPart, FriedmanPart);
        var trainers = new Option<string[]>("--trainers")
        {
            Description = $"Trainers to run (default all: {string.Join(" ", TabularTrainers.All)}).", AllowMultipleArgumentsPerToken = true,
            DefaultValueFactory = _ => TabularTrainers.All,
        }.AcceptOnlyFromAmong(TabularTrainers.All);
        var noSklearn = new Option<bool>("--no-sklearn") { Description = "Do not time scikit-learn's MLP on the Friedman rows." };
        var command = new Command("tabular", "Our Mlp beside ML.NET's FastTree, LightGbm and Sdca: 5-fold cross-validation on diabetes, breast cancer and wine, and Friedman #1 with fit times.")
        {
            rows, testRows, epochs, only, trainers, noSklearn,
        };
        command.SetAction((parse, cancellation) =>
        {
            string[] names = TabularTrainers.All.Where(parse.GetValue(trainers)!.Contains).ToArray();
            string? part = parse.GetValue(only);
            int mlpEpochs = parse.GetValue(epochs);
            console.WriteLine(Machine.Describe());
            var table = new MarkdownTable(["data", "metric", .. names, "scikit-learn MLP"]);
            if (part != FriedmanPart)
                foreach (var set in TabularBenchmark.SmallSets)
                {
                    var scores = TabularBenchmark.CrossValidate(set, names, cancellation);
                    foreach (string metric in TabularBenchmark.MetricNames(set.Task))
                        table.Add([metric == TabularBenchmark.MetricNames(set.Task)[0] ? set.Name : "", $"{metric}, {TabularBenchmark.Folds}-fold mean ± sd",
                            .. scores.Select(s => MeanAndDeviation(s.Metrics[metric])), "-"]);
                    table.Add(["", $"fit time, {TabularBenchmark.Folds} folds", .. scores.Select(s => Seconds(s.FitSeconds)), "-"]);
                }
            var notes = new List<string>();
            if (part != SmallSetsPart)
            {
                long trainCount = parse.GetValue(rows), testCount = parse.GetValue(testRows);
                var scores = TabularBenchmark.Friedman(trainCount, testCount, mlpEpochs, names, line => console.MarkupLine(Markup.Escape(line)), cancellation);
                SklearnAnchor.Outcome sklearn = parse.GetValue(noSklearn)
                    ? new(null, null, "--no-sklearn")
                    : SklearnAnchor.Friedman(new FriedmanDataView(trainCount, 1), new FriedmanDataView(testCount, 2), cancellation);
                string name = $"Friedman #1 ({Count(trainCount)} training rows, R² on {Count(testCount)} others)";
                table.Add([name, "R²", .. scores.Select(s => s.Metrics["R²"][0].ToString("F4", CultureInfo.InvariantCulture)),
                    sklearn.RSquared?.ToString("F4", CultureInfo.InvariantCulture) ?? "skipped"]);
                table.Add(["", "fit time", .. scores.Select(s => Seconds(s.FitSeconds)), sklearn.FitSeconds is double f ? Seconds(f) : "skipped"]);
                notes.Add(sklearn.Skipped is { } why
                    ? $"scikit-learn MLP skipped: {why}."
                    : "scikit-learn: MLPRegressor(hidden_layer_sizes=(64, 64), max_iter=20, random_state=1) (Adam lr 1e-3, batch 200) by /usr/bin/python3 " +
                      "on the same rows written to CSV, fit timed in that process" +
                      (scores.FirstOrDefault(s => s.Trainer == TabularTrainers.Mlp) is { } mlp && sklearn.FitSeconds is double s
                          ? $"; our Mlp's fit is {Machine.Ratio(s, mlp.FitSeconds)} (this run)." : "."));
            }
            // Markdown as is, to the console's writer: the console would wrap long lines at its width.
            var output = console.Profile.Out.Writer;
            output.WriteLine(table.ToString());
            output.WriteLine(Recipes(names, part, mlpEpochs, notes));
            output.WriteLine($"peak resident memory (VmHWM): {ProcessMemory.PeakResidentMegabytes():F0} MB");
            return Task.FromResult(Cli.Success);
        });
        return command;
    }

    static string Recipes(string[] names, string? part, int mlpEpochs, List<string> notes)
    {
        var text = new StringBuilder();
        if (part != FriedmanPart)
            text.AppendLine($"Small sets: folds from ml.Data.CrossValidationSplit(seed {TabularBenchmark.FoldSeed}) made once per set and given to every trainer " +
                            "(the split ml.*.CrossValidate(seed: 1) makes); features normalised by mean and variance fitted on each fold's training rows; " +
                            "sd over the folds (n - 1); fit time is the 5 fits' sum.");
        if (part != SmallSetsPart)
            text.AppendLine("Friedman #1: y = 10 sin(π x1 x2) + 20 (x3 - 0.5)² + 10 x4 + 5 x5 + N(0, 1), x ~ U(0, 1)^10, generated row by row " +
                            "(training seed 1, test seed 2) by a streaming IDataView that every trainer reads as it likes; fit time includes reading it.");
        foreach (string name in names)
            text.AppendLine(name == TabularTrainers.Mlp ? $"- Mlp (managed engine): {MlpRecipes(part, mlpEpochs)}." : $"- {name}: {TabularTrainers.MlNetRecipe(name)}.");
        foreach (string note in notes) text.AppendLine($"- {note}");
        return text.ToString().TrimEnd();
    }

    static string MlpRecipes(string? part, int epochs) => part switch
    {
        SmallSetsPart => $"{TabularRecipes.SmallSetsText} (TabularTargetsTests' recipe)",
        FriedmanPart => TabularRecipes.FriedmanText(epochs),
        _ => $"small sets {TabularRecipes.SmallSetsText} (TabularTargetsTests' recipe); Friedman {TabularRecipes.FriedmanText(epochs)}",
    };

    static string MeanAndDeviation(double[] values)
    {
        double mean = values.Average();
        double sd = values.Length > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1)) : 0;
        return string.Create(CultureInfo.InvariantCulture, $"{mean:F4} ± {sd:F4}");
    }

    static string Seconds(double seconds) => string.Create(CultureInfo.InvariantCulture, $"{seconds:F2} s");

    static string Count(long rows) => rows switch
    {
        _ when rows % 1_000_000 == 0 => $"{rows / 1_000_000}M",
        _ when rows % 1000 == 0 => $"{rows / 1000}k",
        _ => rows.ToString("N0", CultureInfo.InvariantCulture),
    };

    /// <summary>A GitHub markdown table, built row by row.</summary>
    sealed class MarkdownTable(string[] header)
    {
        readonly List<string[]> _rows = [];

        public void Add(string[] row) => _rows.Add(row);

        public override string ToString()
        {
            var text = new StringBuilder();
            text.AppendLine($"| {string.Join(" | ", header)} |");
            text.AppendLine($"|{string.Concat(header.Select(_ => "---|"))}");
            foreach (var row in _rows) text.AppendLine($"| {string.Join(" | ", row)} |");
            return text.ToString().TrimEnd();
        }
    }
}
