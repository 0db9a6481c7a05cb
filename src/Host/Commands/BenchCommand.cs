using System.CommandLine;
using System.Diagnostics;
using Microsoft.ML;
using MlNetMnist.DataViews;
using MlNetMnist.Host.Bench;
using MlNetMnist.Trainers;
using MlNetMnist.Trainers.Engines;
using MlNetMnist.Trainers.Engines.Managed;
using Spectre.Console;

namespace MlNetMnist.Host.Commands;

/// <summary>
/// `bench`: epoch times of our engines against the TorchSharp idiom and ML.NET's L-BFGS, and the matmul floor, in one
/// process; `bench tabular` (<see cref="BenchTabularCommand"/>) compares our Mlp with ML.NET's tabular trainers.
/// </summary>
internal static class BenchCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var data = CommonOptions.Data();
        var epochs = new Option<int>("--epochs") { Description = "Timed epochs per engine, of which the median counts (accuracy is after these).", DefaultValueFactory = _ => 5, CustomParser = CommonOptions.AtLeast(1) };
        var lbfgs = new Option<bool>("--lbfgs") { Description = "Also train ML.NET's LbfgsMaximumEntropy (about a minute)." };
        var threads = new Option<int?>("--threads")
        {
            Description = "libtorch intra-op threads for the idiom (default: each of 1, 2 and the core count, the fastest as the baseline).",
            CustomParser = result => CommonOptions.AtLeast(1)(result),
        };
        var toAccuracy = new Option<double?>("--to-accuracy")
        {
            Description = "Instead: wall time until validation accuracy first reaches this, ours against the TorchSharp idiom, with the recipe below (default the documented 784-256-10 Adam one-cycle recipe).",
            CustomParser = result => CommonOptions.Number<double>(a => a > 0 && a <= 1, "in (0, 1]")(result),
        };
        var hidden = new Option<int[]>("--hidden")
        {
            Description = "--to-accuracy: hidden layer sizes.", AllowMultipleArgumentsPerToken = true,
            CustomParser = CommonOptions.Numbers<int>(size => size >= 1, "at least 1"),
        };
        var batchSize = new Option<int?>("--batch-size") { Description = "--to-accuracy: rows per minibatch.", CustomParser = result => CommonOptions.AtLeast(1)(result) };
        var lr = RecipeOptions.LearningRate();
        var optimizer = RecipeOptions.Optimizer();
        var schedule = RecipeOptions.Schedule();
        var command = new Command("bench", "Measure training speed against baselines.")
        {
            data, epochs, lbfgs, threads, toAccuracy, hidden, batchSize, lr, optimizer, schedule,
            BenchTabularCommand.Create(console),
        };
        command.SetAction(async (parse, cancellation) =>
        {
            int[] idiomThreads = parse.GetValue(threads) is int n ? [n] : IdiomThreads();
            console.MarkupLine(Markup.Escape(Machine.Describe()));
            var ml = new MLContext(seed: 1);
            var splits = ml.Data.LoadMnist(await CommonOptions.FilesAsync(parse.GetValue(data), null, cancellation));
            var scale = ml.Transforms.ScalePixels().Fit(splits.Train);
            var train = Dataset.FromDataView(scale.Transform(splits.Train));
            var valid = Dataset.FromDataView(scale.Transform(splits.Valid));
            if (parse.GetValue(toAccuracy) is double target)
            {
                // Only the options given change the documented recipe.
                bool Given(Option option) => parse.GetResult(option) is { Implicit: false };
                var basis = Recipe.Mnist98;
                var recipe = basis with
                {
                    HiddenLayers = Given(hidden) ? parse.GetValue(hidden)! : basis.HiddenLayers,
                    BatchSize = parse.GetValue(batchSize) ?? basis.BatchSize,
                    Optimizer = Given(optimizer) ? RecipeOptions.MakeOptimizer(parse.GetValue(optimizer)!) : basis.Optimizer,
                    LearningRate = parse.GetValue(lr)
                        ?? (Given(optimizer) ? RecipeOptions.MakeOptimizer(parse.GetValue(optimizer)!).DefaultLearningRate : basis.LearningRate),
                    Schedule = Given(schedule) ? RecipeOptions.MakeSchedule(parse.GetValue(schedule)!) : basis.Schedule,
                    Epochs = Given(epochs) ? parse.GetValue(epochs) : basis.Epochs,
                };
                RunToAccuracy(console, train, valid, recipe, target, idiomThreads, cancellation);
                return Cli.Success;
            }
            Run(console, train, valid, parse.GetValue(epochs), idiomThreads, cancellation);
            if (parse.GetValue(lbfgs)) Lbfgs(console, ml, scale, splits);
            return Cli.Success;
        });
        return command;
    }

    /// <summary>The libtorch thread counts the idiom is tried at: 1, 2 and the core count, those the machine has.</summary>
    static int[] IdiomThreads() => new[] { 1, 2, Environment.ProcessorCount }.Where(t => t <= Environment.ProcessorCount).Distinct().ToArray();

    static string ThreadsName(int threads) => threads == 1 ? "1 thread" : $"{threads} threads";

    static void Run(IAnsiConsole console, Dataset train, Dataset valid, int epochs, int[] idiomThreads, CancellationToken cancellation)
    {
        double big = TrainingBenchmark.MatmulGflops(2048, 2048, 2048);
        double gflop = TrainingBenchmark.EpochGflop(train.Count, [784, 50, 10]);
        console.MarkupLine($"float32 matmul: {big:F0} GFLOP/s on 2048^3, {TrainingBenchmark.MatmulGflops(512, 784, 50):F0} on 512x784x50, " +
                           $"{TrainingBenchmark.MatmulGflops(50, 784, 50):F0} on 50x784x50; one epoch is {gflop:F1} GFLOP, floor {gflop / big:F3} s");

        var table = new Table().AddColumns("batch", "engine", "epoch s (median)", "vs idiom at its best", "vs floor", "valid accuracy");
        foreach (int batchSize in new[] { 50, 512 })
        {
            cancellation.ThrowIfCancellationRequested();
            // Every contestant's epochs are timed in turns, one epoch each per round, so that a slow spell of a shared
            // machine falls on all of them alike rather than on whichever ran then.
            var idioms = idiomThreads.Select(threads => (Threads: threads, Run: new TrainingBenchmark.TorchSharpIdiom(train, 50, 0.5f, batchSize, seed: 1))).ToArray();
            var engines = MlpEngines.Available.Select(engine =>
            {
                // Timed as the idiom is: training epochs alone, the validation pass after them.
                var (learner, model) = TrainingBenchmark.EngineLearner(engine, train, valid: null, 50, batchSize, 0.5f, seed: 1);
                return (Engine: engine, Learner: learner, Model: model);
            }).ToArray();
            try
            {
                var contestants = idioms.Select(i => (Action)(() => { TorchSharp.torch.set_num_threads(i.Threads); i.Run.Epoch(); }))
                    .Concat(engines.Select(e => (Action)(() =>
                    {
                        TorchSharp.torch.set_num_threads(idiomThreads.Max()); // the autograd engine runs on libtorch too
                        e.Learner.Fit(1, cancellationToken: cancellation);
                    })))
                    .ToArray();
                var seconds = TrainingBenchmark.MedianSeconds(contestants, epochs);
                double best = seconds.Take(idioms.Length).Min();
                for (int i = 0; i < idioms.Length; i++)
                    table.AddRow(batchSize.ToString(), $"TorchSharp idiom, {ThreadsName(idioms[i].Threads)}", seconds[i].ToString("F3"),
                        seconds[i] == best ? "1.00x (baseline)" : Machine.Ratio(best, seconds[i]), $"{seconds[i] / (gflop / big):F1}x",
                        idioms[i].Run.Accuracy(valid).ToString("F4"));
                for (int e = 0; e < engines.Length; e++)
                {
                    double time = seconds[idioms.Length + e];
                    var (_, accuracy) = engines[e].Learner.Evaluate(engines[e].Engine.Batches(valid));
                    table.AddRow(batchSize.ToString(), $"ours, {engines[e].Engine.Name.ToLowerInvariant()}", time.ToString("F3"),
                        Machine.Ratio(best, time), $"{time / (gflop / big):F1}x", accuracy!.Value.ToString("F4"));
                }
            }
            finally
            {
                foreach (var (_, run) in idioms) run.Dispose();
                foreach (var (_, _, model) in engines) model.Dispose();
            }
        }
        console.Write(table);
        console.MarkupLine($"each engine ran {epochs + TrainingBenchmark.WarmupEpochs} epochs ({TrainingBenchmark.WarmupEpochs} to warm up), in turns with the others, " +
                           "lr 0.5, 784-50-10, shuffled every epoch; ratios against the idiom at its fastest libtorch thread count, in this process");
    }

    static void RunToAccuracy(IAnsiConsole console, Dataset train, Dataset valid, Recipe recipe, double target, int[] idiomThreads, CancellationToken cancellation)
    {
        console.MarkupLine($"recipe: {Markup.Escape(recipe.ToString())}; target validation accuracy {target:F4}");
        var table = new Table().AddColumns("engine", "seconds to target", "epochs", "vs idiom at its best", "valid accuracy per epoch");
        static string Accuracies(ToAccuracy.Outcome o) => string.Join(" ", o.Accuracies.Select(a => a.ToString("F4")));
        var idioms = new List<(int Threads, ToAccuracy.Outcome Outcome)>();
        foreach (int threads in idiomThreads)
        {
            TorchSharp.torch.set_num_threads(threads);
            Thread.Sleep(TrainingBenchmark.Settle);
            idioms.Add((threads, ToAccuracy.Idiom(train, valid, recipe, target, cancellation)));
        }
        var reached = idioms.Where(i => i.Outcome.Seconds is not null).ToArray();
        double? best = reached.Length > 0 ? reached.Min(i => i.Outcome.Seconds!.Value) : null;
        foreach (var (threads, outcome) in idioms)
            table.AddRow($"TorchSharp idiom, {ThreadsName(threads)}", outcome.Seconds?.ToString("F2") ?? "not reached", outcome.Epochs.ToString(),
                outcome.Seconds is double s && best is double b ? (s == b ? "1.00x (baseline)" : Machine.Ratio(b, s)) : "-", Accuracies(outcome));
        // The managed engine only: the autograd engine is the lesson written out, slower than the idiom by design.
        Thread.Sleep(TrainingBenchmark.Settle);
        var ours = ToAccuracy.Ours(ManagedEngine.Instance, train, valid, recipe, target, cancellation);
        table.AddRow("ours, managed", ours.Seconds?.ToString("F2") ?? "not reached", ours.Epochs.ToString(),
            ours.Seconds is double o && best is double i ? Machine.Ratio(i, o) : "-", Accuracies(ours));
        console.Write(table);
        console.MarkupLine("wall time from the start of training (validation after each epoch included); ratio against the idiom at its fastest libtorch thread count, in this process");
    }

    static void Lbfgs(IAnsiConsole console, MLContext ml, ITransformer scale, MnistSplits splits)
    {
        var clock = Stopwatch.StartNew();
        var model = ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy().Fit(scale.Transform(splits.Train));
        double seconds = clock.Elapsed.TotalSeconds;
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(scale.Transform(splits.Valid)));
        console.MarkupLine($"ML.NET LbfgsMaximumEntropy: {seconds:F1} s to train, valid accuracy {metrics.MicroAccuracy:F4}");
    }
}
