using static TorchSharp.torch;

namespace MlNetMnist.Trainers.Nn;

/// <summary>max(x, 0), as the lesson writes it: clamp_min(0).</summary>
public sealed class ReLU : Module
{
    public override Tensor Forward(Tensor input) => input.clamp_min(0);
}
