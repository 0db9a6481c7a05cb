using MlNetMnist.Trainers.Learning;
using MlNetMnist.Trainers.Models;

namespace MlNetMnist.Trainers.Engines;

/// <summary>An MLP an <see cref="MlpEngine"/> trains: steps and evaluations for the Learner, and its weights at the end.</summary>
public interface ITrainableMlp : ITrainable, ISchedulable, IDisposable
{
    /// <summary>The current weights as plain arrays.</summary>
    MlpNetwork ToNetwork();

    /// <summary>The optimizer's buffers and step count, to resume from (<see cref="MlpEngine.Create(MlpNetwork, MlpOptimizer, float, MlpOptimizerState, MlpHead)"/>).</summary>
    MlpOptimizerState ExportState();
}
