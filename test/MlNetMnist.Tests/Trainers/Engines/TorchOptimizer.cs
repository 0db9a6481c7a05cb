using MlNetMnist.Trainers.Optim;
using TorchSharp;
using TorchSharp.Modules;

namespace MlNetMnist.Tests.Trainers.Engines;

/// <summary>TorchSharp's own optimizer (torch.optim.SGD, Adam, AdamW) behind our IOptimizer, as the reference the tests step against.</summary>
internal sealed class TorchOptimizer(torch.optim.Optimizer optimizer) : IOptimizer
{
    public torch.optim.Optimizer Inner => optimizer;

    torch.optim.ILearningRateController Group => optimizer.ParamGroups.Single();

    public double LearningRate
    {
        get => Group.LearningRate;
        set => Group.LearningRate = value;
    }

    /// <summary>SGD's momentum or Adam's β1, as the param group holds it (OneCycleLR writes it there).</summary>
    public double Momentum
    {
        get => Group is torch.optim.IBetas betas ? betas.Betas.Item1 : ((torch.optim.IMomentum)Group).Momentum;
        set
        {
            if (Group is torch.optim.IBetas betas) betas.Betas = (value, betas.Betas.Item2);
            else ((torch.optim.IMomentum)Group).Momentum = value;
        }
    }

    public void Step() => optimizer.step();

    public void ZeroGrad() => optimizer.zero_grad();

    public void Dispose() => optimizer.Dispose();
}
