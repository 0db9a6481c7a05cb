namespace MlNetMnist.Trainers.Engines;

/// <summary>
/// The optimizer an engine executes, as a value: stochastic gradient descent as torch.optim.SGD defines it
/// (dampening 0, no Nesterov): g = grad + weightDecay·p; with momentum, buf = g on the first step, then
/// buf = momentum·buf + g, and g = buf; finally p -= lr·g.
/// </summary>
/// <param name="LearningRate">Step size (a schedule may change it per step).</param>
/// <param name="Momentum">As torch.optim.SGD's momentum; 0 for plain SGD.</param>
/// <param name="WeightDecay">L2 penalty added to the gradient, as torch.optim.SGD's weight_decay.</param>
public sealed record MlpOptimizer(float LearningRate, float Momentum = 0, float WeightDecay = 0)
{
    /// <summary>SGD with the given settings.</summary>
    public static MlpOptimizer Sgd(float learningRate, float momentum = 0, float weightDecay = 0) => new(learningRate, momentum, weightDecay);

    /// <summary>Throws naming the first setting out of range.</summary>
    public void Validate()
    {
        if (!(LearningRate > 0) || !float.IsFinite(LearningRate))
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "The learning rate must be a positive number.");
        if (!(Momentum >= 0 && Momentum < 1))
            throw new ArgumentOutOfRangeException(nameof(Momentum), Momentum, "Momentum must be in [0, 1).");
        if (!(WeightDecay >= 0) || !float.IsFinite(WeightDecay))
            throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "Weight decay must be a number >= 0.");
    }
}
