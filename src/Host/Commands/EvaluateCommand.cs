using System.CommandLine;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMnist.DataViews;
using Spectre.Console;

namespace MlNetMnist.Host.Commands;

/// <summary>`evaluate`: ML.NET's multiclass metrics and the confusion matrix, as tables and a heat map PNG.</summary>
internal static class EvaluateCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var model = CommonOptions.Model(CommonOptions.ZipOrOnnx);
        var data = CommonOptions.Data();
        var split = CommonOptions.Split();
        var output = new Option<FileInfo?>("--out") { Description = "The confusion-matrix PNG; default <model>.confusion.png." };
        output.Validators.Add(CommonOptions.OutputFile);
        var csv = TabularCommands.CsvInput("A CSV to evaluate a model trained with train --csv on (the label column included).");
        var command = new Command("evaluate", "Evaluate a model zip (or an exported .onnx) on the test or validation split, or a CSV model on --csv.") { model, data, split, output, csv };
        command.SetAction(async (parse, cancellation) =>
        {
            var modelFile = parse.GetValue(model)!;
            if (TabularCommands.IsTabular(modelFile, parse.GetValue(csv), "evaluate"))
            {
                TabularCommands.Evaluate(console, modelFile, parse.GetValue(csv)!);
                return Cli.Success;
            }
            var plotting = Plots.WarmUpAsync(); // the confusion PNG comes last; its libraries load meanwhile
            var ml = new MLContext();
            var loaded = CommonOptions.LoadModel(ml, modelFile);
            var rows = CommonOptions.PickSplit(ml.Data.LoadMnist(await CommonOptions.FilesAsync(parse.GetValue(data), null, cancellation)), parse.GetValue(split)!);
            var metrics = ml.MulticlassClassification.Evaluate(loaded.Transform(rows));

            var summary = new Table().AddColumns("metric", "value");
            summary.AddRow("micro accuracy", metrics.MicroAccuracy.ToString("F4"));
            summary.AddRow("macro accuracy", metrics.MacroAccuracy.ToString("F4"));
            summary.AddRow("log-loss", metrics.LogLoss.ToString("F4"));
            summary.AddRow("log-loss reduction", metrics.LogLossReduction.ToString("F4"));
            console.Write(summary);

            var classes = Enumerable.Range(0, metrics.ConfusionMatrix.NumberOfClasses).Select(i => i.ToString()).ToArray();
            var confusion = new Table().AddColumn("true \\ predicted").AddColumns(classes).AddColumn("log-loss");
            for (int i = 0; i < classes.Length; i++)
                confusion.AddRow([classes[i], .. metrics.ConfusionMatrix.Counts[i].Select(c => c.ToString("0")), metrics.PerClassLogLoss[i].ToString("F3")]);
            console.Write(confusion);

            string png = parse.GetValue(output)?.FullName ?? Path.ChangeExtension(modelFile.FullName, ".confusion.png");
            await plotting;
            Atomic.Write(png, temp => Plots.Confusion(metrics.ConfusionMatrix.Counts, classes, parse.GetValue(split)!, temp));
            console.MarkupLine($"wrote [bold]{Markup.Escape(png)}[/]");
            return Cli.Success;
        });
        return command;
    }
}
