using System.CommandLine;
using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;
using MlNetMnist.Host.Onnx;
using MlNetMnist.Host.Tabular;
using MlNetMnist.Trainers.Onnx;
using Spectre.Console;

namespace MlNetMnist.Host.Commands;

/// <summary>`export`: a model zip as an ONNX graph (ML.NET's converter), checked by loading it in ONNX Runtime.</summary>
internal static class ExportCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var model = CommonOptions.Model();
        var onnx = new Option<FileInfo?>("--onnx") { Description = "The ONNX file to write; default <model>.onnx." };
        onnx.Validators.Add(CommonOptions.OutputFile);
        var command = new Command("export", $"Export a model zip to ONNX (opset {OnnxExport.OpSet}), for ONNX Runtime in any language.") { model, onnx };
        command.SetAction(parse =>
        {
            var zip = parse.GetValue(model)!;
            string path = parse.GetValue(onnx)?.FullName ?? Path.ChangeExtension(zip.FullName, ".onnx");
            var ml = new MLContext();
            var loaded = CommonOptions.LoadModel(ml, zip, out var inputSchema);
            // A CSV model maps its raw label for training; its graph holds the predictions alone, from the feature columns.
            string[]? outputs = null;
            if (TabularModel.IsTabular(zip.FullName))
            {
                var scored = loaded.GetOutputSchema(inputSchema);
                outputs = TabularModel.PredictionColumns.Where(name => scored.GetColumnOrNull(name) is not null).ToArray();
            }
            long opset = 0;
            Atomic.Write(path, temp =>
            {
                using (var stream = File.Create(temp)) OnnxExport.Export(ml, loaded, inputSchema, stream, outputs);
                using var session = new InferenceSession(temp); // a graph ONNX Runtime refuses is not written
                var table = new Table().AddColumns("graph", "name", "type", "shape");
                foreach (var (kind, metadata) in new[] { ("input", session.InputMetadata), ("output", session.OutputMetadata) })
                    foreach (var (name, value) in metadata)
                        table.AddRow(kind, Markup.Escape(name), value.ElementDataType.ToString(), Markup.Escape($"[{string.Join(", ", value.Dimensions)}]"));
                console.Write(table);
                opset = OnnxExport.ReadGraph(temp).OpSets.Single(o => o.Domain == "").Version;
            });
            console.MarkupLine($"wrote [bold]{Markup.Escape(path)}[/] (opset {opset}; ONNX Runtime {Markup.Escape(OrtEnv.Instance().GetVersionString())} loads it)");
            return Cli.Success;
        });
        return command;
    }
}
