namespace MlNetMnist.Trainers.Optim;

/// <summary>What a training step asks of an optimizer (<see cref="Sgd"/>, <see cref="Adam"/>): step from the gradients, then clear them.</summary>
public interface IOptimizer : IDisposable
{
    /// <summary>Step size; a schedule may set it before each step.</summary>
    double LearningRate { get; set; }

    /// <summary>SGD's momentum or Adam's β1; a schedule may set it before each step.</summary>
    double Momentum { get; set; }

    /// <summary>Updates every parameter from its gradient, under no_grad.</summary>
    void Step();

    /// <summary>Zeroes every parameter's gradient.</summary>
    void ZeroGrad();
}
