using Microsoft.ML;
using MlNetMnist.Trainers;

namespace MlNetMnist.Host.Bench;

/// <summary>The tasks `bench tabular` compares trainers on.</summary>
internal enum TabularTask
{
    Regression,
    Binary,
    Multiclass,
}

/// <summary>
/// The trainers `bench tabular` puts side by side, each with the recipe it runs: our Mlp (<see cref="TabularRecipes"/>)
/// and ML.NET's FastTree, LightGbm and Sdca (the task's variant) with ML.NET's defaults.
/// </summary>
internal static class TabularTrainers
{
    public const string Mlp = "Mlp", FastTree = "FastTree", LightGbm = "LightGbm", Sdca = "Sdca";

    /// <summary>Every trainer, in the tables' order.</summary>
    public static readonly string[] All = [Mlp, FastTree, LightGbm, Sdca];

    /// <summary>The trainer <paramref name="name"/> for <paramref name="task"/>; our Mlp with <paramref name="mlp"/>.</summary>
    public static IEstimator<ITransformer> Make(MLContext ml, string name, TabularTask task, MlpOptions mlp) => (name, task) switch
    {
        (Mlp, TabularTask.Regression) => ml.Regression.Trainers.Mlp(mlp),
        (Mlp, TabularTask.Binary) => ml.BinaryClassification.Trainers.Mlp(mlp),
        (Mlp, TabularTask.Multiclass) => ml.MulticlassClassification.Trainers.Mlp(mlp),
        (FastTree, TabularTask.Regression) => ml.Regression.Trainers.FastTree(),
        (FastTree, TabularTask.Binary) => ml.BinaryClassification.Trainers.FastTree(),
        (FastTree, TabularTask.Multiclass) => ml.MulticlassClassification.Trainers.OneVersusAll(ml.BinaryClassification.Trainers.FastTree()),
        (LightGbm, TabularTask.Regression) => ml.Regression.Trainers.LightGbm(),
        (LightGbm, TabularTask.Binary) => ml.BinaryClassification.Trainers.LightGbm(),
        (LightGbm, TabularTask.Multiclass) => ml.MulticlassClassification.Trainers.LightGbm(),
        (Sdca, TabularTask.Regression) => ml.Regression.Trainers.Sdca(),
        (Sdca, TabularTask.Binary) => ml.BinaryClassification.Trainers.SdcaLogisticRegression(),
        (Sdca, TabularTask.Multiclass) => ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, $"No trainer '{name}': the trainers are {string.Join(", ", All)}."),
    };

    /// <summary>What ML.NET's trainer <paramref name="name"/> runs, in words (our Mlp's recipes are <see cref="TabularRecipes"/>').</summary>
    public static string MlNetRecipe(string name) => name switch
    {
        FastTree => "ML.NET defaults (100 trees, 20 leaves, learning rate 0.2); multiclass: OneVersusAll of the binary FastTree",
        LightGbm => "ML.NET defaults (100 rounds, learning rate and leaves chosen by ML.NET from the row count)",
        Sdca => "ML.NET defaults; regression: Sdca (squared loss), binary: SdcaLogisticRegression, multiclass: SdcaMaximumEntropy",
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "Not one of ML.NET's trainers."),
    };
}
