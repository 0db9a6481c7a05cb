using System.CommandLine;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMnist.DataViews;
using MlNetMnist.Host.Onnx;
using MlNetMnist.Host.Tabular;
using Spectre.Console;

namespace MlNetMnist.Host.Commands;

/// <summary>`predict`: class probabilities for an image file, or for a row of the test set (also written as a PNG).</summary>
internal static class PredictCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var model = CommonOptions.Model(CommonOptions.ZipOrOnnx);
        var image = new Argument<FileInfo>("image") { Description = "An image of a digit (PNG, JPEG, ...; any size, colour or grey).", Arity = ArgumentArity.ZeroOrOne }.AcceptExistingOnly();
        var index = new Option<int?>("--index") { Description = "A row of the split instead of an image.", CustomParser = result => CommonOptions.AtLeast(0)(result) };
        var data = CommonOptions.Data();
        var split = CommonOptions.Split();
        var output = new Option<FileInfo?>("--out") { Description = "With --index: where to write the digit's PNG; default digit-N.png." };
        output.Validators.Add(CommonOptions.OutputFile);
        var csv = TabularCommands.CsvInput("With a model trained by train --csv: predict each row of this CSV (the label column may be absent).");
        var values = new Option<string[]>("--values")
        {
            Description = "With a model trained by train --csv: one row as COLUMN=VALUE,COLUMN=VALUE,... (repeat for more rows).",
        };
        var command = new Command("predict", "Predict the digit of an image file, or of a data row with --index N; for a CSV model, rows of --csv or --values.")
        {
            image, model, index, data, split, output, csv, values,
        };
        command.Validators.Add(result =>
        {
            bool hasImage = result.GetResult(image) is { Tokens.Count: > 0 }, hasIndex = result.GetResult(index) is not null;
            bool tabular = result.GetResult(csv) is not null || result.GetResult(values) is not null;
            if (tabular && (hasImage || hasIndex))
                result.AddError("--csv and --values do not go with an image file or --index.");
            else if (!tabular && hasImage == hasIndex)
                result.AddError(hasImage ? "Give an image file or --index N, not both." : "Give an image file or --index N.");
        });
        command.SetAction(async (parse, cancellation) =>
        {
            var modelFile = parse.GetValue(model)!;
            string[] valueRows = parse.GetValue(values) ?? [];
            bool tabularInput = parse.GetValue(csv) is not null || valueRows.Length > 0;
            if (tabularInput || !OnnxModel.IsOnnx(modelFile.FullName) && TabularModel.IsTabular(modelFile.FullName))
            {
                TabularCommands.IsTabular(modelFile, parse.GetValue(csv), "predict", values: valueRows.Length > 0);
                TabularCommands.Predict(console, modelFile, parse.GetValue(csv), valueRows);
                return Cli.Success;
            }
            var ml = new MLContext();
            var loaded = CommonOptions.LoadModel(ml, parse.GetValue(model)!);
            Digit digit;
            string source;
            if (parse.GetValue(index) is int row)
            {
                var rows = CommonOptions.PickSplit(ml.Data.LoadMnist(await CommonOptions.FilesAsync(parse.GetValue(data), null, cancellation)), parse.GetValue(split)!);
                if (row >= rows.GetRowCount())
                    throw new BadArgumentException($"--index {row} is outside the {rows.GetRowCount()} rows of the {parse.GetValue(split)} split.");
                digit = ml.Data.CreateEnumerable<Digit>(rows, reuseRowObject: false).ElementAt(row);
                string truth = ml.Transforms.Conversion.MapKeyToValue("Label").Fit(rows).Transform(rows).GetColumn<string>("Label").ElementAt(row);
                string png = parse.GetValue(output)?.FullName ?? Path.GetFullPath($"digit-{row}.png");
                Atomic.Write(png, temp => ImageInput.SaveDigit(digit, temp));
                source = $"{parse.GetValue(split)} row {row}, true digit {truth} (written to {png})";
            }
            else
            {
                var file = parse.GetValue(image)!;
                digit = ImageInput.ToDigit(file.FullName);
                source = file.FullName;
            }
            var prediction = ml.Model.CreatePredictionEngine<Digit, DigitPrediction>(loaded).Predict(digit);
            console.MarkupLine($"[bold]{Markup.Escape(prediction.PredictedDigit)}[/] for {Markup.Escape(source)}");
            var chart = new BarChart().Width(60).Label("class probabilities").WithMaxValue(1)
                .UseValueFormatter(p => p is >= 0.99995 and < 1 ? $">{0.9999:F4}" : p.ToString("F4")); // 1.0000 would read as certainty
            for (int c = 0; c < prediction.Score.Length; c++)
                chart.AddItem(c.ToString(), prediction.Score[c], c.ToString() == prediction.PredictedDigit ? Color.Green : Color.Grey);
            console.Write(chart);
            return Cli.Success;
        });
        return command;
    }
}
