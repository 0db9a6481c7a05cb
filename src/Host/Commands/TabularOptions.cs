using System.CommandLine;
using System.CommandLine.Parsing;
using MlNetMnist.Host.Tabular;
using MlNetMnist.Trainers;
using MlNetMnist.Trainers.Engines;

namespace MlNetMnist.Host.Commands;

/// <summary>The options of `train --csv`: the file, the label column, the task and how the rows are split.</summary>
internal sealed class TabularOptions
{
    public Option<FileInfo> Csv { get; } = new Option<FileInfo>("--csv")
    {
        Description = "Train on this CSV (header row; numbers become normalised features, text one-hot) instead of MNIST. " +
                      "Options not given then default to a tabular recipe: --hidden 64 --epochs 100 --batch-size 32 --optimizer adamw --lr 0.003.",
    }.AcceptExistingOnly();

    public Option<string> Label { get; } = new("--label") { Description = "With --csv: the column to predict." };

    public Option<string> Task { get; } = new("--task") { Description = "With --csv: regression (a number), binary (two values) or multiclass (class names)." };

    public Option<string> Positive { get; } = new("--positive")
    {
        Description = "With --task binary: the label value that is the positive class; default true, yes or 1 when present, else the value that sorts last.",
    };

    public Option<double> ValidFraction { get; } = new("--valid-fraction")
    {
        Description = "With --csv: the share of rows held out to validate on after each epoch (0: none).", DefaultValueFactory = _ => 0.1,
        CustomParser = CommonOptions.Number<double>(f => f is >= 0 and < 1, "at least 0 and below 1"),
    };

    public Option<double> TestFraction { get; } = new("--test-fraction")
    {
        Description = "With --csv: the share of rows held out for the test metrics printed at the end.", DefaultValueFactory = _ => 0.2,
        CustomParser = CommonOptions.Number<double>(f => f is > 0 and < 1, "above 0 and below 1"),
    };

    static readonly string[] Tasks = [.. TabularSchema.TaskNames.Keys];

    /// <summary>Adds the options to `train`, with the rules: --label and --task with --csv only, and none of <paramref name="notWith"/> beside it.</summary>
    public void AddTo(Command command, Option[] notWith)
    {
        Task.CompletionSources.Add(Tasks);
        Task.Validators.Add(result =>
        {
            string value = result.GetValueOrDefault<string>();
            if (!Tasks.Contains(value)) result.AddError($"--task must be regression, binary or multiclass, got '{value}'.");
        });
        Option[] tabularOnly = [Label, Task, Positive, ValidFraction, TestFraction];
        foreach (var option in tabularOnly) command.Options.Add(option);
        command.Options.Add(Csv);
        command.Validators.Add(result =>
        {
            bool Given(Option option) => result.GetResult(option) is { Implicit: false };
            if (!Given(Csv))
            {
                if (tabularOnly.FirstOrDefault(Given) is { } stray) result.AddError($"{stray.Name} goes with --csv.");
                return;
            }
            if (!Given(Label)) result.AddError("--csv needs --label COLUMN.");
            else if (!Given(Task)) result.AddError("--csv needs --task regression, binary or multiclass.");
            else if (Given(Positive) && result.GetValue(Task) != "binary") result.AddError("--positive goes with --task binary.");
            else if (notWith.FirstOrDefault(Given) is { } clash) result.AddError($"{clash.Name} does not go with --csv.");
            else if (result.GetValue(ValidFraction) + result.GetValue(TestFraction) >= 1) result.AddError("--valid-fraction and --test-fraction leave no rows to train on.");
        });
    }

    public TabularTrainRequest Request(ParseResult parse) => new(parse.GetValue(Csv)!, parse.GetValue(Label)!,
        TabularSchema.TaskNamed(parse.GetValue(Task)!), parse.GetValue(Positive), parse.GetValue(ValidFraction), parse.GetValue(TestFraction));

    /// <summary>The recipe a CSV trains with when the command line does not say otherwise: small sets want many epochs and Adam.</summary>
    public static MlpOptions Recipe() => new()
    {
        HiddenLayers = [64], Epochs = 100, BatchSize = 32, Optimizer = MlpOptimizer.AdamW(), LearningRate = 3e-3f,
    };
}
