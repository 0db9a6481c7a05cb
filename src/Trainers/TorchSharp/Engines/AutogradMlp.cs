using MlNetMnist.DataViews;
using MlNetMnist.Trainers.Learning;
using MlNetMnist.Trainers.Losses;
using MlNetMnist.Trainers.Models;
using MlNetMnist.Trainers.Nn;
using MlNetMnist.Trainers.Optim;

namespace MlNetMnist.Trainers.Engines.Autograd;

/// <summary>The lesson's way, owning its pieces: <see cref="Sequential.Mlp(MlpNetwork)"/>, <see cref="Loss.CrossEntropy"/> and <see cref="Sgd"/>, backward by autograd.</summary>
public sealed class AutogradMlp : ITrainableMlp
{
    readonly Sequential _model;
    readonly Sgd _optimizer;
    readonly ModuleTrainable _steps;

    public AutogradMlp(MlpNetwork initial, MlpOptimizer optimizer)
    {
        ArgumentNullException.ThrowIfNull(initial);
        ArgumentNullException.ThrowIfNull(optimizer);
        optimizer.Validate();
        _model = Sequential.Mlp(initial);
        _optimizer = new Sgd(_model.Parameters(), optimizer.LearningRate, optimizer.Momentum, optimizer.WeightDecay);
        _steps = new ModuleTrainable(_model, Loss.CrossEntropy, _optimizer);
    }

    public float LearningRate
    {
        get => (float)_optimizer.LearningRate;
        set => _optimizer.LearningRate = value;
    }

    public double TrainBatch(Batch batch) => _steps.TrainBatch(batch);

    public (double LossSum, int Correct) EvaluateBatch(Batch batch) => _steps.EvaluateBatch(batch);

    public MlpNetwork ToNetwork() => _model.ToNetwork();

    public void Dispose()
    {
        _optimizer.Dispose();
        _model.Dispose();
    }
}
