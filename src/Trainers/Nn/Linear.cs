using Parameter = TorchSharp.Modules.Parameter;
using static TorchSharp.torch;

namespace MlNetMnist.Trainers.Nn;

/// <summary>
/// y = x Wᵀ + b with its own weight [out, in] and bias [out], initialised as PyTorch's nn.Linear:
/// kaiming_uniform(a = √5) gives U(-1/√in, 1/√in) for the weight, and the bias takes the same bound.
/// </summary>
public sealed class Linear : Module
{
    public Linear(int inFeatures, int outFeatures, Generator? generator = null)
    {
        if (inFeatures < 1 || outFeatures < 1)
            throw new ArgumentOutOfRangeException(nameof(inFeatures), $"Linear({inFeatures}, {outFeatures}) needs positive sizes.");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        double bound = 1 / Math.Sqrt(inFeatures);
        Weight = RegisterParameter("weight", Uniform([outFeatures, inFeatures], bound, generator));
        Bias = RegisterParameter("bias", Uniform([outFeatures], bound, generator));
    }

    public int InFeatures { get; }

    public int OutFeatures { get; }

    public Parameter Weight { get; }

    public Parameter Bias { get; }

    static Tensor Uniform(long[] shape, double bound, Generator? generator)
    {
        using var scope = NewDisposeScope();
        // A parameter outlives any dispose scope its creator may have open.
        return (rand(shape, generator: generator) * (2 * bound) - bound).DetachFromDisposeScope();
    }

    public override Tensor Forward(Tensor input) => input.matmul(Weight.t()) + Bias;
}
