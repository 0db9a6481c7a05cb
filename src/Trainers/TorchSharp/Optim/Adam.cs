using Parameter = TorchSharp.Modules.Parameter;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetMnist.Trainers.Optim;

/// <summary>
/// Adam as torch.optim.Adam defines it (no amsgrad), and with <c>decoupled</c> AdamW: at step t,
/// AdamW decays p by (1 - lr·wd) and Adam adds wd·p to the gradient g; then m = β1·m + (1-β1)·g,
/// v = β2·v + (1-β2)·g², p -= lr/(1-β1ᵗ) · m / (√v/√(1-β2ᵗ) + eps), in place under no_grad.
/// </summary>
public sealed class Adam : IOptimizer
{
    readonly Parameter[] _parameters;
    readonly Tensor[] _expAvg, _expAvgSq;

    public Adam(IEnumerable<Parameter> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
        double weightDecay = 0, bool decoupled = false)
    {
        if (!(learningRate > 0)) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be positive.");
        if (!(beta1 >= 0 && beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "Beta1 must be in [0, 1).");
        if (!(beta2 >= 0 && beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "Beta2 must be in [0, 1).");
        if (!(eps > 0)) throw new ArgumentOutOfRangeException(nameof(eps), eps, "Eps must be positive.");
        if (!(weightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "Weight decay must be >= 0.");
        _parameters = parameters.ToArray();
        (LearningRate, Momentum, Beta2, Eps, WeightDecay, Decoupled) = (learningRate, beta1, beta2, eps, weightDecay, decoupled);
        _expAvg = _parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
        _expAvgSq = _parameters.Select(p => zeros_like(p).DetachFromDisposeScope()).ToArray();
    }

    public double LearningRate { get; set; }

    /// <summary>β1.</summary>
    public double Momentum { get; set; }

    public double Beta2 { get; }

    public double Eps { get; }

    public double WeightDecay { get; }

    /// <summary>AdamW's decoupled weight decay rather than Adam's L2 term.</summary>
    public bool Decoupled { get; }

    /// <summary>Steps taken: t of the bias corrections.</summary>
    public long Steps { get; internal set; }

    internal IReadOnlyList<Tensor> ExpAvg => _expAvg;

    internal IReadOnlyList<Tensor> ExpAvgSq => _expAvgSq;

    public void Step()
    {
        using var noGrad = torch.no_grad();
        Steps++;
        double correction1 = 1 - Math.Pow(Momentum, Steps), correction2 = 1 - Math.Pow(Beta2, Steps);
        for (int i = 0; i < _parameters.Length; i++)
        {
            var p = _parameters[i];
            if (p.grad is not { } grad) continue;
            using var scope = NewDisposeScope();
            Tensor g = grad;
            if (WeightDecay != 0)
            {
                if (Decoupled) p.mul_(1 - LearningRate * WeightDecay);
                else g = grad.add(p, alpha: WeightDecay);
            }
            _expAvg[i].mul_(Momentum).add_(g, alpha: 1 - Momentum);
            _expAvgSq[i].mul_(Beta2).addcmul_(g, g, value: 1 - Beta2);
            var denominator = (_expAvgSq[i].sqrt() / Math.Sqrt(correction2)).add_(Eps);
            p.addcdiv_(_expAvg[i], denominator, value: -LearningRate / correction1);
        }
    }

    public void ZeroGrad()
    {
        foreach (var p in _parameters)
            p.grad?.zero_();
    }

    public void Dispose()
    {
        foreach (var t in _expAvg.Concat(_expAvgSq)) t.Dispose();
    }
}
