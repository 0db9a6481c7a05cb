using MlNetMnist.Trainers.Models;

namespace MlNetMnist.Trainers.Engines.Autograd;

/// <summary>
/// The lesson itself on TorchSharp: <see cref="Nn.Module"/>, <see cref="Nn.Linear"/>, <see cref="Nn.ReLU"/> and
/// <see cref="Nn.Sequential"/>, <c>loss.backward()</c> and <see cref="Optim.Sgd"/> or <see cref="Optim.Adam"/>. Dense batches: libtorch multiplies
/// every value, zero or not. Set <c>MlpOptions.Engine = AutogradEngine.Instance</c> to train with it.
/// </summary>
public sealed class AutogradEngine : MlpEngine
{
    public static AutogradEngine Instance { get; } = new();

    AutogradEngine() { }

    public override string Name => "Autograd";

    public override ITrainableMlp Create(MlpNetwork initial, MlpOptimizer optimizer, float learningRate, MlpOptimizerState? state = null, MlpHead? head = null) =>
        new AutogradMlp(initial, optimizer, learningRate, state, head);
}
