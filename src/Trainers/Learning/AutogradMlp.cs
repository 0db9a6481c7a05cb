using MlNetMnist.DataViews;
using MlNetMnist.Trainers.Losses;
using MlNetMnist.Trainers.Nn;
using MlNetMnist.Trainers.Optim;
using static TorchSharp.torch;

namespace MlNetMnist.Trainers.Learning;

/// <summary>The lesson's way, owning its pieces: <see cref="Sequential.Mlp"/>, <see cref="Loss.CrossEntropy"/> and <see cref="Sgd"/>, backward by autograd.</summary>
public sealed class AutogradMlp : ITrainableMlp
{
    readonly Sequential _model;
    readonly Sgd _optimizer;
    readonly ModuleTrainable _steps;

    public AutogradMlp(IReadOnlyList<int> sizes, float learningRate, float momentum = 0, float weightDecay = 0, Generator? generator = null)
    {
        _model = Sequential.Mlp(sizes, generator);
        _optimizer = new Sgd(_model.Parameters(), learningRate, momentum, weightDecay);
        _steps = new ModuleTrainable(_model, Loss.CrossEntropy, _optimizer);
    }

    public double TrainBatch(Batch batch) => _steps.TrainBatch(batch);

    public (double LossSum, int Correct) EvaluateBatch(Batch batch) => _steps.EvaluateBatch(batch);

    public MlpNetwork ToNetwork() => MlpNetwork.Of(_model);

    public void Dispose()
    {
        _optimizer.Dispose();
        _model.Dispose();
    }
}
