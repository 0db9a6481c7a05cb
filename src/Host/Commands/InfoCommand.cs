using System.CommandLine;
using Microsoft.ML;
using MlNetMnist.Host.Tabular;
using MlNetMnist.Trainers;
using MlNetMnist.Trainers.Engines;
using Spectre.Console;

namespace MlNetMnist.Host.Commands;

/// <summary>`info`: what a model zip holds: shape, parameter count, format version, training options and history.</summary>
internal static class InfoCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var model = CommonOptions.Model();
        var command = new Command("info", "Describe a model zip.") { model };
        command.SetAction(parse =>
        {
            var file = parse.GetValue(model)!;
            var table = new Table().AddColumns("property", "value");
            IMlpModel mlp;
            if (TabularModel.IsTabular(file.FullName))
            {
                var tabular = TabularModel.Load(new MLContext(), file.FullName);
                mlp = tabular.Mlp;
                var schema = tabular.Schema;
                table.AddRow("task", TabularSchema.TaskName(schema.Task));
                table.AddRow("label", Markup.Escape(schema.Task switch
                {
                    MlpTask.BinaryClassification => $"{schema.Label} ('{schema.Positive}' positive, '{schema.Negative}' negative)",
                    MlpTask.MulticlassClassification => $"{schema.Label} ({string.Join(", ", schema.Classes!.Select(c => $"'{c}'"))})",
                    _ => $"{schema.Label} (a number)",
                }));
                table.AddRow("features", Markup.Escape(string.Join(", ", schema.Features.Select(c => $"{c.Name} ({(c.Kind == ColumnKind.Number ? "number" : "text")})"))));
            }
            else
                mlp = CommonOptions.Mlp(CommonOptions.LoadModel(new MLContext(), file), file);
            var t = mlp.Training;
            table.AddRow("layers", string.Join(" -> ", mlp.Network.LayerSizes));
            table.AddRow("parameters", mlp.Network.ParameterCount.ToString("N0"));
            table.AddRow("weights SHA-256", mlp.Network.WeightsSha256());
            if (mlp is MlpModelParameters multiclass) table.AddRow("format version", $"0x{multiclass.StoredFormatVersion:X8}");
            table.AddRow("epochs", t.Epochs.ToString());
            table.AddRow("batch size", t.BatchSize.ToString());
            table.AddRow("optimizer", Markup.Escape(t.Optimizer.ToString(t.LearningRate)));
            table.AddRow("schedule", Markup.Escape(t.Schedule?.ToString() ?? "constant"));
            table.AddRow("early stopping", t.EarlyStopping is { } stop
                ? $"on {stop.Metric}, patience {stop.Patience}, min delta {stop.MinDelta}" + (t.HeldOutRows > 0 ? $", {t.HeldOutRows:N0} training rows held out" : "")
                  + (t.BestEpoch is int best ? $"; kept epoch {best}" : "")
                  + (mlp.EarlyStoppingBest is { } carried ? $"; best so far epoch {carried.Epoch} (checkpoint)" : "")
                : "off");
            table.AddRow("optimizer state", mlp.OptimizerState is { } state ? $"{state.Kind.ToString().ToLowerInvariant()}, {state.Steps:N0} steps, {state.Moments.Count} buffers (resumable)" : "none");
            table.AddRow("seed", t.Seed.ToString());
            table.AddRow("shuffle", t.Shuffle.ToString());
            table.AddRow("training rows", t.TrainingRows.ToString("N0"));
            table.AddRow("engine", t.Engine.ToLowerInvariant());
            console.Write(table);
            console.Write(HistoryTable.Of(t.History));
            return Cli.Success;
        });
        return command;
    }
}
