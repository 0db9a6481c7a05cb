using MlNetMnist.Trainers;
using MlNetMnist.Trainers.Engines;
using MlNetMnist.Trainers.Learning.Schedules;

namespace MlNetMnist.Host.Bench;

/// <summary>Our Mlp's recipes for tabular data: the one the targets are tested with (TabularTargetsTests) and `bench tabular` reports.</summary>
internal static class TabularRecipes
{
    /// <summary>
    /// One recipe for scikit-learn's three small sets (diabetes, breast cancer, wine), on mean-variance normalised
    /// features: 64 hidden units, AdamW (lr 1e-3, weight decay 0.01), batches of 64, 500 epochs.
    /// </summary>
    public static MlpOptions SmallSets() => new()
    {
        HiddenLayers = [64], Epochs = 500, BatchSize = 64, Seed = 1, Optimizer = MlpOptimizer.AdamW(weightDecay: 0.01f), LearningRate = 1e-3f,
    };

    /// <summary>What <see cref="SmallSets"/> is, in words, for the tables.</summary>
    public const string SmallSetsText = "normalised features, [64], AdamW lr 1e-3 weight decay 0.01, batch 64, 500 epochs";

    /// <summary>Friedman #1 (features as generated, uniform on [0, 1)): two layers of 64, Adam with a one-cycle schedule peaking at lr 3e-3, batches of 512.</summary>
    public static MlpOptions Friedman(int epochs) => new()
    {
        HiddenLayers = [64, 64], Epochs = epochs, BatchSize = 512, Seed = 1, Optimizer = MlpOptimizer.Adam(), LearningRate = 3e-3f,
        Schedule = new OneCycleSchedule(),
    };

    /// <summary>The epochs of <see cref="Friedman"/> unless told otherwise.</summary>
    public const int FriedmanEpochs = 8;

    /// <summary>What <see cref="Friedman"/> is, in words, for the tables.</summary>
    public static string FriedmanText(int epochs) => $"raw features, [64, 64], Adam one-cycle to lr 3e-3, batch 512, {epochs} epochs";
}
