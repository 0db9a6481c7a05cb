using System.CommandLine;
using Microsoft.ML;
using MlNetMnist.Host.Onnx;
using MlNetMnist.Host.Tabular;
using MlNetMnist.Trainers;
using Spectre.Console;

namespace MlNetMnist.Host.Commands;

/// <summary>What evaluate, predict and info do with a model `train --csv` wrote.</summary>
internal static class TabularCommands
{
    public static Option<FileInfo> CsvInput(string description) => new Option<FileInfo>("--csv") { Description = description }.AcceptExistingOnly();

    /// <summary>
    /// True when <paramref name="model"/> is a CSV model, which then needs <paramref name="csv"/> (or, for predict,
    /// --values); false for an MNIST model or an .onnx file, which do not take it.
    /// </summary>
    /// <exception cref="BadArgumentException">The model and the input do not go together.</exception>
    public static bool IsTabular(FileInfo model, FileInfo? csv, string command, bool values = false)
    {
        bool tabular = !OnnxModel.IsOnnx(model.FullName) && TabularModel.IsTabular(model.FullName);
        if (tabular && csv is null && !values)
            throw new BadArgumentException($"'{model.FullName}' was trained on a CSV: give --csv FILE{(command == "predict" ? " or --values COLUMN=VALUE,..." : "")}.");
        if (!tabular && (csv is not null || values))
            throw new BadArgumentException($"--csv{(command == "predict" ? " and --values go" : " goes")} with a model trained by train --csv; '{model.FullName}' is {(OnnxModel.IsOnnx(model.FullName) ? "an ONNX file" : "an MNIST model")}.");
        return tabular;
    }

    /// <summary>`evaluate --csv`: the task's metrics on the file's rows; for classification the confusion counts by class name.</summary>
    public static void Evaluate(IAnsiConsole console, FileInfo modelFile, FileInfo csv)
    {
        var ml = new MLContext();
        var model = TabularModel.Load(ml, modelFile.FullName);
        var rows = TabularRows.FromCsv(model.Schema, csv.FullName, withLabel: true);
        var scored = model.Pipeline.Transform(TabularRows.Load(model, rows));
        console.Write(TabularScoring.MetricsTable(TabularScoring.Evaluate(ml, model.Schema.Task, scored), $"{Markup.Escape(csv.Name)} ({rows.Count:N0} rows)"));
        if (model.Schema.Task == MlpTask.Regression) return;
        string[] classes = model.Schema.Task == MlpTask.BinaryClassification ? [model.Schema.Negative!, model.Schema.Positive!] : [.. model.Schema.Classes!];
        var truth = rows.Select(r => r[model.Schema.Columns.ToList().FindIndex(c => c.Name == model.Schema.Label)]).ToArray();
        var predicted = TabularScoring.Predict(ml, model, TabularRows.Load(model, rows)).Select(p => p.Predicted).ToArray();
        var confusion = new Table().AddColumn("true \\ predicted").AddColumns(classes.Select(Markup.Escape).ToArray());
        foreach (string actual in classes)
            confusion.AddRow([Markup.Escape(actual), .. classes.Select(p => truth.Where((t, i) => t == actual && predicted[i] == p).Count().ToString("N0"))]);
        console.Write(confusion);
    }

    /// <summary>`predict --csv/--values`: the prediction for each row, beside the true label when the row has one.</summary>
    public static void Predict(IAnsiConsole console, FileInfo modelFile, FileInfo? csv, IReadOnlyList<string> values)
    {
        var ml = new MLContext();
        var model = TabularModel.Load(ml, modelFile.FullName);
        var schema = model.Schema;
        var rows = csv is null ? [] : TabularRows.FromCsv(schema, csv.FullName, withLabel: false);
        var sources = rows.Select((_, i) => $"{csv!.Name} row {i + 1}").ToList();
        foreach (string given in values)
            try
            {
                rows.Add(TabularRows.FromValues(schema, ParseValues(given), "--values"));
                sources.Add("--values");
            }
            catch (BadRowException e)
            {
                throw new BadArgumentException(e.Message);
            }
        var predictions = TabularScoring.Predict(ml, model, TabularRows.Load(model, rows));
        int label = schema.Columns.ToList().FindIndex(c => c.Name == schema.Label);
        bool truth = rows.Any(r => r[label].Length > 0);
        var table = new Table().AddColumn("row");
        if (truth) table.AddColumn(Markup.Escape($"{schema.Label} (true)"));
        table.AddColumn(Markup.Escape($"{schema.Label} (predicted)"));
        if (schema.Task != MlpTask.Regression)
            table.AddColumn(schema.Task == MlpTask.BinaryClassification ? Markup.Escape($"P({schema.Positive})") : "probability");
        for (int i = 0; i < rows.Count; i++)
        {
            var p = predictions[i];
            string[] probability = p.Probabilities is { } probabilities
                ? [probabilities[schema.Task == MlpTask.BinaryClassification ? schema.Positive! : p.Predicted].ToString("F4")] : [];
            table.AddRow([Markup.Escape(sources[i]), .. truth ? [Markup.Escape(rows[i][label])] : Array.Empty<string>(), Markup.Escape(p.Predicted), .. probability]);
        }
        console.Write(table);
    }

    /// <summary>--values "COLUMN=VALUE,COLUMN=VALUE" as a dictionary (a value cannot hold a comma: give such rows with --csv).</summary>
    static Dictionary<string, string> ParseValues(string given)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string pair in given.Split(',', StringSplitOptions.TrimEntries))
        {
            int equals = pair.IndexOf('=');
            if (equals <= 0)
                throw new BadArgumentException($"--values expects COLUMN=VALUE pairs separated by commas, got '{pair}'.");
            if (!values.TryAdd(pair[..equals].Trim(), pair[(equals + 1)..].Trim()))
                throw new BadArgumentException($"--values gives column '{pair[..equals].Trim()}' twice.");
        }
        return values;
    }
}
