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

    /// <summary>A Linear layer starting from the given weight [out x in], row-major, and bias [out] (copied).</summary>
    public Linear(int inFeatures, int outFeatures, float[] weight, float[] bias)
    {
        if (weight.Length != inFeatures * outFeatures || bias.Length != outFeatures)
            throw new ArgumentException($"Linear({inFeatures}, {outFeatures}) takes {inFeatures * outFeatures} weights and {outFeatures} biases; got {weight.Length} and {bias.Length}.");
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = RegisterParameter("weight", tensor(weight, [outFeatures, inFeatures]));
        Bias = RegisterParameter("bias", tensor(bias, [outFeatures]));
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
