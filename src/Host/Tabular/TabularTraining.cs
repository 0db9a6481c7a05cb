using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMnist.Host.Commands;
using MlNetMnist.Trainers;
using Spectre.Console;

namespace MlNetMnist.Host.Tabular;

/// <summary>What `train --csv` was asked for, beside the recipe (<see cref="MlpOptions"/>).</summary>
internal sealed record TabularTrainRequest(FileInfo Csv, string Label, MlpTask Task, string? Positive, double ValidFraction, double TestFraction);

/// <summary>
/// `train --csv`: infers the schema and prints it, splits the rows into train, validation and test (random by --seed),
/// fits the pipeline on the training rows, prints the per-epoch table and the test metrics, and saves the zip with its
/// metrics JSON and curves PNG beside it.
/// </summary>
internal static class TabularTraining
{
    /// <param name="console">Where the tables go.</param>
    /// <param name="request">The CSV, the label and the task, and how to split the rows.</param>
    /// <param name="options">The recipe.</param>
    /// <param name="from">A model to continue (`--resume`): its fitted features and label steps are kept, and the CSV must have its schema.</param>
    /// <param name="output">The zip to write; its metrics JSON and curves PNG go beside it.</param>
    /// <param name="cancellation">Ctrl+C: stops the fit; nothing is saved.</param>
    public static async Task RunAsync(IAnsiConsole console, TabularTrainRequest request, MlpOptions options, TabularModel? from, FileInfo output,
        CancellationToken cancellation)
    {
        var schema = TabularSchema.Infer(request.Csv.FullName, request.Label, request.Task, request.Positive);
        if (from is not null)
            schema = from.Schema.CheckSame(schema, request.Csv.FullName);
        var plotting = Plots.WarmUpAsync();
        var ml = new MLContext(seed: options.Seed);
        var loader = TabularModel.CreateLoader(ml, schema);
        var all = ml.Data.Cache(loader.Load(request.Csv.FullName));
        var (train, valid, test) = Split(ml, all, request, options.Seed ?? 1);

        var featurize = from?.Featurizer ?? TabularModel.Featurize(ml, schema).Fit(train);
        var features = featurize.Transform(train);
        if (from is null && schema.Task == MlpTask.MulticlassClassification)
            schema = schema with { Classes = ClassNames(features.Schema["Label"]) };
        console.Write(SchemaTable(schema, Rows(train), valid is null ? 0 : Rows(valid), Rows(test)));
        if (valid is not null) options.ValidationData = featurize.Transform(valid);
        options.CancellationToken = cancellation;
        var trainer = TabularModel.Trainer(ml, schema.Task, options);

        // The whole pipeline around the trainer's transformer; checkpoints hold the same, saved as the final zip is.
        ITransformer Pipeline(ITransformer mlp) => schema.Task == MlpTask.MulticlassClassification
            ? new TransformerChain<ITransformer>(featurize, mlp, ml.Transforms.Conversion.MapKeyToValue(TabularModel.PredictedClass, "PredictedLabel").Fit(mlp.Transform(features)))
            : new TransformerChain<ITransformer>(featurize, mlp);
        if (options.Checkpoint is { } checkpoint)
            (checkpoint.Pipeline, checkpoint.Save) = (Pipeline, (pipeline, stream) => new TabularModel(schema, loader, pipeline).WriteTo(ml, stream));
        ITransformer Fit() => Pipeline(from is null ? trainer.Fit(features) : from.ContinueWith(trainer, features));
        var pipeline = console.Profile.Capabilities.Interactive
            ? console.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(progress => { options.Progress = TrainCommand.EpochBars(progress, from?.Mlp.Training.History.Count ?? 0, options.Epochs); return Fit(); })
            : Fit();
        var model = new TabularModel(schema, loader, pipeline);

        var training = model.Mlp.Training;
        console.Write(HistoryTable.Of(training.History));
        if (training.BestEpoch is int best)
            console.MarkupLine($"early stopping kept epoch {best} (validation loss {training.History[best - 1].ValidLoss:F4})");
        var metrics = TabularScoring.Evaluate(ml, schema.Task, pipeline.Transform(test));
        console.Write(TabularScoring.MetricsTable(metrics, "test"));

        // The last point where Ctrl+C stops the command (exit 130, nothing saved).
        cancellation.ThrowIfCancellationRequested();
        model.Save(ml, output.FullName);
        string metricsPath = Path.ChangeExtension(output.FullName, ".metrics.json");
        Atomic.Write(metricsPath, temp => File.WriteAllText(temp, JsonSerializer.Serialize(new
        {
            Training = training,
            Test = metrics.ToDictionary(m => m.Metric, m => m.Value),
        }, new JsonSerializerOptions { WriteIndented = true })));
        string curvesPath = Path.ChangeExtension(output.FullName, ".curves.png");
        await plotting;
        Atomic.Write(curvesPath, temp => Plots.Curves(training.History, temp));
        console.MarkupLine($"saved [bold]{Markup.Escape(output.FullName)}[/], {Markup.Escape(Path.GetFileName(metricsPath))}, {Markup.Escape(Path.GetFileName(curvesPath))}");
    }

    /// <summary>Test rows first (--test-fraction of all), then validation rows (--valid-fraction of all) from the rest; null when none.</summary>
    static (IDataView Train, IDataView? Valid, IDataView Test) Split(MLContext ml, IDataView all, TabularTrainRequest request, int seed)
    {
        var first = ml.Data.TrainTestSplit(all, request.TestFraction, seed: seed);
        IDataView train = first.TrainSet, test = first.TestSet;
        IDataView? valid = null;
        if (request.ValidFraction > 0)
        {
            var second = ml.Data.TrainTestSplit(train, request.ValidFraction / (1 - request.TestFraction), seed: seed);
            (train, valid) = (second.TrainSet, second.TestSet);
        }
        long trainRows = Rows(train), testRows = Rows(test);
        if (trainRows == 0 || testRows == 0 || valid is not null && Rows(valid) == 0)
            throw new InvalidDataException($"'{request.Csv.FullName}' has too few rows for the split (--test-fraction {request.TestFraction}, " +
                                           $"--valid-fraction {request.ValidFraction}): {trainRows} training and {testRows} test rows.");
        return (train, valid, test);
    }

    static long Rows(IDataView view)
    {
        if (view.GetRowCount() is long known) return known;
        using var cursor = view.GetRowCursor([]);
        long rows = 0;
        while (cursor.MoveNext()) rows++;
        return rows;
    }

    static string[] ClassNames(DataViewSchema.Column label)
    {
        VBuffer<ReadOnlyMemory<char>> names = default;
        label.GetKeyValues(ref names);
        return names.DenseValues().Select(n => n.ToString()).ToArray();
    }

    static Table SchemaTable(TabularSchema schema, long train, long valid, long test)
    {
        var table = new Table().AddColumns("column", "type", "role")
            .Caption($"{train:N0} training, {valid:N0} validation, {test:N0} test rows");
        foreach (var column in schema.Columns)
        {
            string role = column.Name != schema.Label
                ? column.Kind == ColumnKind.Number ? "feature (normalised)" : "feature (one-hot)"
                : schema.Task switch
                {
                    MlpTask.Regression => "label (regression)",
                    MlpTask.BinaryClassification => $"label (binary: '{schema.Positive}' positive, '{schema.Negative}' negative)",
                    _ => $"label (multiclass: {string.Join(", ", schema.Classes!.Select(c => $"'{c}'"))})",
                };
            table.AddRow(Markup.Escape(column.Name), column.Kind == ColumnKind.Number ? "number" : "text", Markup.Escape(role));
        }
        return table;
    }
}
