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
}
