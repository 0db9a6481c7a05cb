using MlNetMnist.Trainers.Engines;
using MlNetMnist.Trainers.Models;

namespace MlNetMnist.Trainers;

/// <summary>A trained MLP of any task (<see cref="MlpModelParameters"/>, <see cref="MlpScoreModelParameters"/>): its layers, how it was trained, and the optimizer's state to continue from.</summary>
public interface IMlpModel
{
    /// <summary>The trained layers: sizes and weights (a regression's on raw targets).</summary>
    MlpNetwork Network { get; }

    /// <summary>The options training ran with and its per-epoch metrics.</summary>
    MlpTrainingInfo Training { get; }

    /// <summary>The optimizer's buffers and step count when training ended; null in models saved before they were stored.</summary>
    MlpOptimizerState? OptimizerState { get; }

    /// <summary>
    /// In a checkpoint of a fit with early stopping (<see cref="MlpCheckpointOptions"/>): the best epoch so far when it
    /// is not the last one, whose weights the fit returns if no later epoch improves on it. Null in other models.
    /// </summary>
    MlpBestEpoch? EarlyStoppingBest { get; }
}
