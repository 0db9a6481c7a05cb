using System.CommandLine;
using MlNetMnist.Trainers.Engines;
using MlNetMnist.Trainers.Learning.Schedules;

namespace MlNetMnist.Host.Commands;

/// <summary>The options that choose a training recipe (optimizer, schedule, rate), shared by train, lr-find and bench.</summary>
internal static class RecipeOptions
{
    public static Option<string> Optimizer() => Choice("--optimizer", "The optimizer: sgd (torch.optim.SGD), adam or adamw.", "sgd", "adam", "adamw");

    public static Option<string> Schedule() => Choice("--schedule",
        "How the rate changes per step: constant, onecycle (warm-up to --lr, then cosine annealing; momentum or Adam's beta1 cycled inversely, as torch's OneCycleLR) or cosine.",
        "constant", "onecycle", "cosine");

    public static Option<float?> LearningRate() => new("--lr")
    {
        Description = "Learning rate (the peak of a one-cycle schedule); default 0.5 for sgd, 0.001 for adam and adamw.",
        CustomParser = result => CommonOptions.Number<float>(x => x > 0 && float.IsFinite(x), "a positive number")(result),
    };

    static Option<string> Choice(string name, string description, params string[] values)
    {
        var option = new Option<string>(name) { Description = description, DefaultValueFactory = _ => values[0] };
        option.CompletionSources.Add(values);
        option.Validators.Add(result =>
        {
            string value = result.GetValueOrDefault<string>();
            if (!values.Contains(value)) result.AddError($"{name} must be {string.Join(", ", values[..^1])} or {values[^1]}, got '{value}'.");
        });
        return option;
    }

    /// <summary>The optimizer named on the command line, with torch's defaults.</summary>
    public static MlpOptimizer MakeOptimizer(string kind) => kind switch
    {
        "adam" => MlpOptimizer.Adam(),
        "adamw" => MlpOptimizer.AdamW(),
        _ => MlpOptimizer.Sgd(),
    };

    public static LearningRateSchedule MakeSchedule(string name) => name switch
    {
        "onecycle" => new OneCycleSchedule(),
        "cosine" => new CosineSchedule(),
        _ => LearningRateSchedule.Constant,
    };
}
