using System.CommandLine;
using Microsoft.ML;
using MlNetMnist.Trainers;
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
            var mlp = CommonOptions.Mlp(CommonOptions.LoadModel(new MLContext(), file), file);
            var t = mlp.Training;
            var table = new Table().AddColumns("property", "value");
            table.AddRow("layers", string.Join(" -> ", mlp.Network.LayerSizes));
            table.AddRow("parameters", mlp.Network.ParameterCount.ToString("N0"));
            table.AddRow("format version", $"0x{mlp.StoredFormatVersion:X8}");
            table.AddRow("epochs", t.Epochs.ToString());
            table.AddRow("batch size", t.BatchSize.ToString());
            table.AddRow("learning rate", t.LearningRate.ToString());
            table.AddRow("momentum / weight decay", $"{t.Momentum} / {t.WeightDecay}");
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
