using System.CommandLine;
using Microsoft.ML;
using MlNetMnist.DataViews;
using MlNetMnist.Trainers;
using Spectre.Console;

namespace MlNetMnist.Host.Commands;

/// <summary>`lr-find`: fastai's learning-rate finder on MNIST: prints the suggested rate and writes the loss-versus-rate PNG.</summary>
internal static class LrFindCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var data = CommonOptions.Data();
        var hidden = new Option<int[]>("--hidden")
        {
            Description = "Hidden layer sizes (repeat for more layers).", DefaultValueFactory = _ => [50], AllowMultipleArgumentsPerToken = true,
            CustomParser = CommonOptions.Numbers<int>(size => size >= 1, "at least 1"),
        };
        var batchSize = new Option<int>("--batch-size") { Description = "Rows per minibatch.", DefaultValueFactory = _ => 50, CustomParser = CommonOptions.AtLeast(1) };
        var optimizer = RecipeOptions.Optimizer();
        var start = new Option<double>("--start") { Description = "The first rate.", DefaultValueFactory = _ => 1e-7, CustomParser = CommonOptions.Number<double>(x => x > 0, "a positive number") };
        var end = new Option<double>("--end") { Description = "The last rate, if the loss has not diverged before.", DefaultValueFactory = _ => 10, CustomParser = CommonOptions.Number<double>(x => x > 0, "a positive number") };
        var steps = new Option<int>("--steps") { Description = "Minibatches from --start to --end.", DefaultValueFactory = _ => 200, CustomParser = CommonOptions.AtLeast(2) };
        var engine = CommonOptions.Engine();
        var seed = new Option<int>("--seed") { Description = "Seed of the weights and the shuffling.", DefaultValueFactory = _ => 1, CustomParser = CommonOptions.Number<int>() };
        var output = new Option<FileInfo>("--out") { Description = "The PNG to write.", DefaultValueFactory = _ => new FileInfo("lr-find.png") };
        output.Validators.Add(CommonOptions.OutputFile);
        var command = new Command("lr-find", "Find a learning rate: grow it exponentially over minibatches until the loss diverges.")
        {
            data, hidden, batchSize, optimizer, start, end, steps, engine, seed, output,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            if (parse.GetValue(end) <= parse.GetValue(start))
                throw new BadArgumentException($"--end ({parse.GetValue(end)}) must be larger than --start ({parse.GetValue(start)}).");
            var files = await CommonOptions.FilesAsync(parse.GetValue(data), null, cancellation);
            var ml = new MLContext(seed: parse.GetValue(seed));
            var train = ml.Data.LoadMnist(files).Train;
            var features = ml.Transforms.ScalePixels("Features", "Pixels").Fit(train).Transform(train);
            var trainer = ml.MulticlassClassification.Trainers.Mlp(new MlpOptions
            {
                HiddenLayers = parse.GetValue(hidden)!, BatchSize = parse.GetValue(batchSize), Seed = parse.GetValue(seed),
                Optimizer = RecipeOptions.MakeOptimizer(parse.GetValue(optimizer)!), Engine = parse.GetValue(engine)!,
                CancellationToken = cancellation,
            });
            var result = trainer.FindLearningRate(features, parse.GetValue(start), parse.GetValue(end), parse.GetValue(steps));
            var png = parse.GetValue(output)!;
            Atomic.Write(png.FullName, temp => Plots.LrFinder(result, temp));
            console.MarkupLine($"suggested learning rate [bold]{result.Suggested:G3}[/] (a tenth of {result.Minimum:G3}, where the smoothed loss is lowest; steepest descent at {result.Steepest:G3})");
            console.MarkupLine($"{result.LearningRates.Count} minibatches of {parse.GetValue(batchSize)}, rates {result.LearningRates[0]:G3} to {result.LearningRates[^1]:G3}; saved [bold]{Markup.Escape(png.FullName)}[/]");
            return Cli.Success;
        });
        return command;
    }
}
