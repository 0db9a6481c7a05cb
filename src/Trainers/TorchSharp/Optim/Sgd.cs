using Parameter = TorchSharp.Modules.Parameter;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetMnist.Trainers.Optim;

/// <summary>
/// Stochastic gradient descent as torch.optim.SGD defines it (dampening 0, no Nesterov):
/// g = grad + weightDecay·p; with momentum, buf = g on the first step, then buf = momentum·buf + g, and g = buf;
/// finally p -= lr·g, in place under no_grad.
/// </summary>
public sealed class Sgd : IOptimizer
{
    readonly Parameter[] _parameters;
    readonly Tensor?[] _momentum;

    public Sgd(IEnumerable<Parameter> parameters, double learningRate, double momentum = 0, double weightDecay = 0)
    {
        _parameters = parameters.ToArray();
        if (!(learningRate > 0)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be positive.");
        if (!(momentum >= 0)) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "Momentum must be >= 0.");
        if (!(weightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "Weight decay must be >= 0.");
        LearningRate = learningRate;
        Momentum = momentum;
        WeightDecay = weightDecay;
        _momentum = new Tensor?[_parameters.Length];
    }

    public double LearningRate { get; set; }

    public double Momentum { get; set; }

    public double WeightDecay { get; }

    /// <summary>The momentum buffers, one per parameter (null until a step with momentum).</summary>
    internal Tensor?[] MomentumBuffers => _momentum;

    public void Step()
    {
        using var noGrad = torch.no_grad();
        for (int i = 0; i < _parameters.Length; i++)
        {
            var p = _parameters[i];
            if (p.grad is not { } grad) continue;
            using var scope = NewDisposeScope();
            Tensor g = WeightDecay != 0 ? grad.add(p, alpha: WeightDecay) : grad;
            if (Momentum != 0)
            {
                if (_momentum[i] is { } buffer) buffer.mul_(Momentum).add_(g);
                else _momentum[i] = g.detach().clone().DetachFromDisposeScope();
                g = _momentum[i]!;
            }
            p.add_(g, alpha: -LearningRate);
        }
    }

    public void ZeroGrad()
    {
        foreach (var p in _parameters)
            p.grad?.zero_();
    }

    public void Dispose()
    {
        foreach (var buffer in _momentum) buffer?.Dispose();
    }
}
