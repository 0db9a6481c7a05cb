using MlNetMnist.Trainers.Learning;
using MlNetMnist.Trainers.Models;

namespace MlNetMnist.Trainers.Engines;

/// <summary>An MLP an <see cref="MlpEngine"/> trains: steps and evaluations for the Learner, and its weights at the end.</summary>
public interface ITrainableMlp : ITrainable, IDisposable
{
    /// <summary>The optimizer's step size for the next steps: a schedule sets it before each step.</summary>
    float LearningRate { get; set; }

    /// <summary>The current weights as plain arrays.</summary>
    MlpNetwork ToNetwork();
}
