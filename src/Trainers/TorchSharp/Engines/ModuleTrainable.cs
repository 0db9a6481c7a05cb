using MlNetMnist.DataViews;
using MlNetMnist.Trainers.Learning;
using MlNetMnist.Trainers.Nn;
using MlNetMnist.Trainers.Optim;
using static TorchSharp.torch;

namespace MlNetMnist.Trainers.Engines.Autograd;

/// <summary>The lesson's way: a <see cref="Module"/>, a loss function and an optimizer (<see cref="Sgd"/>, <see cref="Adam"/>), with autograd doing backward.</summary>
public sealed class ModuleTrainable(Module model, Func<Tensor, Tensor, Tensor> loss, IOptimizer optimizer) : ITrainable
{
    public double TrainBatch(Batch batch)
    {
        using var scope = NewDisposeScope();
        model.Train();
        var (x, y) = BatchTensors.Copy(batch);
        var batchLoss = loss(model.Forward(x), y);
        batchLoss.backward();
        optimizer.Step();
        optimizer.ZeroGrad();
        return batchLoss.item<float>();
    }

    public EvaluationSums EvaluateBatch(Batch batch)
    {
        using var scope = NewDisposeScope();
        using var noGrad = TorchSharp.torch.no_grad();
        model.Eval();
        var (x, y) = BatchTensors.Copy(batch);
        var logits = model.Forward(x);
        double lossSum = loss(logits, y).item<float>() * batch.Size;
        int correct = (int)logits.argmax(1).eq(y).sum().item<long>();
        return new EvaluationSums(lossSum, batch.Size, correct);
    }
}
