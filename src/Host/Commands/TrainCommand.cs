using System.CommandLine;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMnist.DataViews;
using MlNetMnist.Host.Tabular;
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
        var lr = RecipeOptions.LearningRate();
        var optimizer = RecipeOptions.Optimizer();
        var schedule = RecipeOptions.Schedule();
        var earlyStopping = new Option<bool>("--early-stopping")
        {
            Description = "Stop when validation loss has not improved for --patience epochs and keep the best epoch's weights.",
        };
        var patience = new Option<int>("--patience") { Description = "Epochs without improvement before --early-stopping stops.", DefaultValueFactory = _ => 3, CustomParser = CommonOptions.AtLeast(1) };
        var resume = new Option<FileInfo>("--resume")
        {
            Description = "Continue training this model zip up to --epochs in all, with its optimizer state; options not given are the model's.",
        }.AcceptExistingOnly();
        var checkpoint = new Option<FileInfo>("--checkpoint")
        {
            Description = "After every epoch (or every --checkpoint-every), save the model so far to this zip (atomically; --resume continues it, " +
                          "info, evaluate and serve read it); with --early-stopping also the best epoch's model, NAME.best.zip.",
        };
        checkpoint.Validators.Add(CommonOptions.OutputFile);
        var checkpointEvery = new Option<int>("--checkpoint-every") { Description = "Epochs between checkpoints.", DefaultValueFactory = _ => 1, CustomParser = CommonOptions.AtLeast(1) };
        var workers = new Option<int?>("--workers")
        {
            Description = "DataLoader worker threads (0: batches built on the training thread; default: the engine's choice, none for managed on two cores or more, whose step takes them).",
            CustomParser = result => CommonOptions.AtLeast(0)(result),
        };
        var engine = CommonOptions.Engine();
        var seed = new Option<int>("--seed") { Description = "Seed of the weights and the shuffling.", DefaultValueFactory = _ => 1, CustomParser = CommonOptions.Number<int>() };
        var output = new Option<FileInfo>("--out") { Description = "The model zip to write.", DefaultValueFactory = _ => new FileInfo("model.zip") };
        output.Validators.Add(CommonOptions.OutputFile);
        var tabular = new TabularOptions();
        var command = new Command("train", "Train the MLP on MNIST (or on a CSV with --csv) and save the model zip.")
        {
            data, hidden, epochs, batchSize, lr, optimizer, schedule, earlyStopping, patience, resume, checkpoint, checkpointEvery, workers, engine, seed, output,
        };
        tabular.AddTo(command, notWith: [data]);
        command.SetAction(async (parse, cancellation) =>
        {
            if (parse.GetValue(tabular.Csv) is not null)
            {
                // A CSV trains with the tabular recipe (TabularOptions.Recipe), or the resumed model's, unless an option says otherwise.
                var from = parse.GetValue(resume) is { } resumed ? TabularModel.Load(new MLContext(), resumed.FullName) : null;
                var recipe = from is null ? TabularOptions.Recipe() : MlpOptions.ContinuingFrom(from.Mlp);
                bool Typed(Option option) => parse.GetResult(option) is { Implicit: false };
                bool Applies(Option option) => from is null || Typed(option);
                if (Typed(hidden)) recipe.HiddenLayers = parse.GetValue(hidden)!;
                if (Typed(epochs)) recipe.Epochs = parse.GetValue(epochs);
                if (Typed(batchSize)) recipe.BatchSize = parse.GetValue(batchSize);
                if (Typed(optimizer)) (recipe.Optimizer, recipe.LearningRate) = (RecipeOptions.MakeOptimizer(parse.GetValue(optimizer)!), null);
                if (parse.GetValue(lr) is float tabularRate) recipe.LearningRate = tabularRate;
                if (Applies(schedule)) recipe.Schedule = RecipeOptions.MakeSchedule(parse.GetValue(schedule)!);
                if (Applies(earlyStopping)) recipe.EarlyStopping = parse.GetValue(earlyStopping) ? new EarlyStoppingOptions { Patience = parse.GetValue(patience) } : null;
                if (Applies(seed)) recipe.Seed = parse.GetValue(seed);
                if (Applies(engine)) recipe.Engine = parse.GetValue(engine)!;
                recipe.NumWorkers = parse.GetValue(workers);
                if (parse.GetValue(checkpoint) is { } checkpointPath)
                    recipe.Checkpoint = new MlpCheckpointOptions { Path = checkpointPath.FullName, EveryEpochs = parse.GetValue(checkpointEvery) };
                await TabularTraining.RunAsync(console, tabular.Request(parse), recipe, from, parse.GetValue(output)!, cancellation);
                return Cli.Success;
            }
            var start = parse.GetValue(resume) is { } file ? CommonOptions.Mlp(CommonOptions.LoadModel(new MLContext(), file), file) : null;
            // Resuming, an option not given is the model's: `train --resume model.zip --epochs 6` continues the same recipe.
            var options = start is null ? new MlpOptions() : MlpOptions.ContinuingFrom(start);
            bool Given(Option option) => start is null || parse.GetResult(option) is { Implicit: false };
            if (Given(hidden)) options.HiddenLayers = parse.GetValue(hidden)!;
            if (Given(epochs)) options.Epochs = parse.GetValue(epochs);
            if (Given(batchSize)) options.BatchSize = parse.GetValue(batchSize);
            if (Given(optimizer)) options.Optimizer = RecipeOptions.MakeOptimizer(parse.GetValue(optimizer)!);
            if (parse.GetValue(lr) is float rate) options.LearningRate = rate;
            else if (Given(optimizer)) options.LearningRate = null; // the optimizer's usual rate
            if (Given(schedule)) options.Schedule = RecipeOptions.MakeSchedule(parse.GetValue(schedule)!);
            if (Given(earlyStopping)) options.EarlyStopping = parse.GetValue(earlyStopping) ? new EarlyStoppingOptions { Patience = parse.GetValue(patience) } : null;
            if (Given(seed)) options.Seed = parse.GetValue(seed);
            if (Given(engine)) options.Engine = parse.GetValue(engine)!;
            options.NumWorkers = parse.GetValue(workers);
            options.CancellationToken = cancellation;
            if (parse.GetValue(checkpoint) is { } path)
                options.Checkpoint = new MlpCheckpointOptions { Path = path.FullName, EveryEpochs = parse.GetValue(checkpointEvery) };
            await RunAsync(console, parse.GetValue(data), options, start, parse.GetValue(output)!, cancellation);
            return Cli.Success;
        });
        return command;
    }

    static async Task RunAsync(IAnsiConsole console, DirectoryInfo? dataDir, MlpOptions options, MlpModelParameters? start, FileInfo output,
        CancellationToken cancellation)
    {
        // Live progress only where it redraws in place: elsewhere Spectre prints snapshots ("epoch 2 ...: 24%") into the output.
        bool live = console.Profile.Capabilities.Interactive;
        var files = live
            ? await console.Progress().StartAsync(progress => DownloadAsync(progress, dataDir, cancellation))
            : await CommonOptions.FilesAsync(dataDir, null, cancellation);

        var plotting = Plots.WarmUpAsync(); // the curves PNG comes last; its libraries load meanwhile
        var ml = new MLContext(seed: options.Seed);
        var splits = ml.Data.LoadMnist(files);
        var scale = ml.Transforms.ScalePixels("Features", "Pixels").Fit(splits.Train);
        options.ValidationData = scale.Transform(splits.Valid);
        var trainer = ml.MulticlassClassification.Trainers.Mlp(options);
        var features = scale.Transform(splits.Train);
        // The pipeline's three steps by hand: a continued model goes through the trainer's Fit(data, model). Checkpoints
        // hold the same pipeline, so that they load wherever the final zip does.
        ITransformer Pipeline(ITransformer mlpStep) => new TransformerChain<ITransformer>(scale, mlpStep,
            ml.Transforms.Conversion.MapKeyToValue("PredictedDigit", "PredictedLabel").Fit(mlpStep.Transform(features)));
        if (options.Checkpoint is { } checkpoint)
            (checkpoint.Pipeline, checkpoint.InputSchema) = (Pipeline, splits.Train.Schema);
        ITransformer Fit() => Pipeline(start is null ? trainer.Fit(features) : trainer.Fit(features, start));

        var model = live
            ? console.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(progress =>
                {
                    options.Progress = EpochBars(progress, start?.Training.History.Count ?? 0, options.Epochs);
                    return Fit();
                })
            : Fit();

        var mlp = CommonOptions.Mlp(model, output);
        var test = ml.MulticlassClassification.Evaluate(model.Transform(splits.Test));
        console.Write(HistoryTable.Of(mlp.Training.History));
        if (mlp.Training.BestEpoch is int best)
            console.MarkupLine($"early stopping kept epoch {best} (validation loss {mlp.Training.History[best - 1].ValidLoss:F4})");
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
        await plotting;
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

    /// <summary>One bar per epoch to run (after <paramref name="done"/>, when continuing), with the running loss and the speed.</summary>
    internal static IProgress<TrainingProgress> EpochBars(ProgressContext progress, int done, int epochs)
    {
        var bars = Enumerable.Range(1, epochs).Select(e => e <= done ? null! : progress.AddTask($"epoch {e}", autoStart: false)).ToArray();
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
