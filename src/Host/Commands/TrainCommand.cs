using System.CommandLine;
using System.Text.Json;
using Microsoft.ML;
using MlNetMnist.DataViews;
using MlNetMnist.Trainers;
using MlNetMnist.Trainers.Learning;
using Spectre.Console;

namespace MlNetMnist.Host.Commands;

/// <summary>`train`: the lesson's pipeline on MNIST, with live progress, a per-epoch table, the zip, a metrics JSON and a curves PNG.</summary>
internal static class TrainCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var data = CommonOptions.Data();
        var hidden = new Option<int[]>("--hidden")
        {
            Description = "Hidden layer sizes (repeat for more layers).", DefaultValueFactory = _ => [50], AllowMultipleArgumentsPerToken = true,
            CustomParser = CommonOptions.Numbers<int>(size => size >= 1, "at least 1"),
        };
        var epochs = new Option<int>("--epochs") { Description = "Passes over the training data.", DefaultValueFactory = _ => 3, CustomParser = CommonOptions.AtLeast(1) };
        var batchSize = new Option<int>("--batch-size") { Description = "Rows per minibatch.", DefaultValueFactory = _ => 50, CustomParser = CommonOptions.AtLeast(1) };
        var lr = new Option<float>("--lr") { Description = "SGD learning rate.", DefaultValueFactory = _ => 0.5f, CustomParser = CommonOptions.Number<float>(x => x > 0 && float.IsFinite(x), "a positive number") };
        var workers = new Option<int?>("--workers")
        {
            Description = "DataLoader worker threads (0: batches built on the training thread; default: one, or none when the step takes both cores).",
            CustomParser = result => CommonOptions.AtLeast(0)(result),
        };
        var engine = CommonOptions.Engine();
        var seed = new Option<int>("--seed") { Description = "Seed of the weights and the shuffling.", DefaultValueFactory = _ => 1, CustomParser = CommonOptions.Number<int>() };
        var output = new Option<FileInfo>("--out") { Description = "The model zip to write.", DefaultValueFactory = _ => new FileInfo("model.zip") };
        output.Validators.Add(CommonOptions.OutputFile);
        var command = new Command("train", "Train the MLP on MNIST and save the model zip.") { data, hidden, epochs, batchSize, lr, workers, engine, seed, output };
        command.SetAction(async (parse, cancellation) =>
        {
            var options = new MlpOptions
            {
                HiddenLayers = parse.GetValue(hidden)!, Epochs = parse.GetValue(epochs), BatchSize = parse.GetValue(batchSize),
                LearningRate = parse.GetValue(lr), NumWorkers = parse.GetValue(workers), Seed = parse.GetValue(seed),
                Engine = parse.GetValue(engine)!, CancellationToken = cancellation,
            };
            await RunAsync(console, parse.GetValue(data), options, parse.GetValue(output)!, cancellation);
            return Cli.Success;
        });
        return command;
    }

    static async Task RunAsync(IAnsiConsole console, DirectoryInfo? dataDir, MlpOptions options, FileInfo output, CancellationToken cancellation)
    {
        // Live progress only where it redraws in place: elsewhere Spectre prints snapshots ("epoch 2 ...: 24%") into the output.
        bool live = console.Profile.Capabilities.Interactive;
        var files = live
            ? await console.Progress().StartAsync(progress => DownloadAsync(progress, dataDir, cancellation))
            : await CommonOptions.FilesAsync(dataDir, null, cancellation);

        var ml = new MLContext(seed: options.Seed);
        var splits = ml.Data.LoadMnist(files);
        var scale = ml.Transforms.ScalePixels("Features", "Pixels");
        options.ValidationData = scale.Fit(splits.Valid).Transform(splits.Valid);
        var pipeline = scale
            .Append(ml.MulticlassClassification.Trainers.Mlp(options))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedDigit", "PredictedLabel"));

        var model = live
            ? console.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(progress =>
                {
                    options.Progress = EpochBars(progress, options.Epochs);
                    return pipeline.Fit(splits.Train);
                })
            : pipeline.Fit(splits.Train);

        var mlp = CommonOptions.Mlp(model, output);
        var test = ml.MulticlassClassification.Evaluate(model.Transform(splits.Test));
        console.Write(HistoryTable.Of(mlp.Training.History));
        console.MarkupLine($"test accuracy [bold]{test.MicroAccuracy:F4}[/] (macro {test.MacroAccuracy:F4}, log-loss {test.LogLoss:F4})");

        // The last point where Ctrl+C stops the command (exit 130, nothing saved); past it the three files are written and it exits 0.
        cancellation.ThrowIfCancellationRequested();
        Atomic.Write(output.FullName, temp => ml.Model.Save(model, splits.Train.Schema, temp));
        string metricsPath = Path.ChangeExtension(output.FullName, ".metrics.json");
        Atomic.Write(metricsPath, temp => File.WriteAllText(temp, JsonSerializer.Serialize(new
        {
            mlp.Training,
            Test = new { test.MicroAccuracy, test.MacroAccuracy, test.LogLoss, test.PerClassLogLoss },
        }, new JsonSerializerOptions { WriteIndented = true })));
        string curvesPath = Path.ChangeExtension(output.FullName, ".curves.png");
        Atomic.Write(curvesPath, temp => Plots.Curves(mlp.Training.History, temp));
        console.MarkupLine($"saved [bold]{Markup.Escape(output.FullName)}[/], {Markup.Escape(Path.GetFileName(metricsPath))}, {Markup.Escape(Path.GetFileName(curvesPath))}");
    }

    static async Task<MnistFiles> DownloadAsync(ProgressContext progress, DirectoryInfo? dataDir, CancellationToken cancellation)
    {
        var download = progress.AddTask("MNIST", maxValue: 1);
        var files = await CommonOptions.FilesAsync(dataDir, new Progress<MnistDownloadProgress>(p =>
        {
            download.Description = $"downloading {Path.GetFileName(p.Source)}";
            if (p.TotalBytes is long total) { download.MaxValue = total; download.Value = p.BytesDone; }
        }), cancellation);
        download.Value = download.MaxValue;
        return files;
    }

    /// <summary>One bar per epoch, with the running loss and the speed.</summary>
    static IProgress<TrainingProgress> EpochBars(ProgressContext progress, int epochs)
    {
        var bars = Enumerable.Range(1, epochs).Select(e => progress.AddTask($"epoch {e}", autoStart: false)).ToArray();
        var started = DateTime.UtcNow;
        return new SynchronousProgress<TrainingProgress>(p =>
        {
            var bar = bars[p.Epoch - 1];
            if (!bar.IsStarted) { bar.StartTask(); started = DateTime.UtcNow; }
            bar.MaxValue = p.BatchCount;
            bar.Value = p.Batch;
            double rate = p.Batch / Math.Max((DateTime.UtcNow - started).TotalSeconds, 1e-3);
            bar.Description = $"epoch {p.Epoch} loss {p.Loss:F4} {rate:F0} batches/s";
        });
    }
}
