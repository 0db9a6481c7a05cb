using MlNetMnist.DataViews;
using MlNetMnist.Trainers.Learning;
using MlNetMnist.Trainers.Losses;
using MlNetMnist.Trainers.Models;
using MlNetMnist.Trainers.Nn;
using MlNetMnist.Trainers.Optim;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetMnist.Trainers.Engines.Autograd;

/// <summary>
/// The lesson's way, owning its pieces: <see cref="Sequential.Mlp(MlpNetwork)"/>, <see cref="Loss.CrossEntropy"/> and
/// <see cref="Sgd"/> or <see cref="Adam"/>, backward by autograd.
/// </summary>
public sealed class AutogradMlp : ITrainableMlp
{
    readonly Sequential _model;
    readonly IOptimizer _optimizer;
    readonly MlpOptimizer _settings;
    readonly ModuleTrainable _steps;
    long _sgdSteps;

    public AutogradMlp(MlpNetwork initial, MlpOptimizer optimizer, float learningRate, MlpOptimizerState? state = null)
    {
        ArgumentNullException.ThrowIfNull(initial);
        ArgumentNullException.ThrowIfNull(optimizer);
        optimizer.Validate();
        MlpOptimizer.ValidateLearningRate(learningRate);
        _settings = optimizer;
        _model = Sequential.Mlp(initial);
        _optimizer = optimizer.IsAdam
            ? new Adam(_model.Parameters(), learningRate, optimizer.Momentum, optimizer.Beta2, optimizer.Epsilon, optimizer.WeightDecay,
                decoupled: optimizer.Kind == OptimizerKind.AdamW)
            : new Sgd(_model.Parameters(), learningRate, optimizer.Momentum, optimizer.WeightDecay);
        _steps = new ModuleTrainable(_model, Loss.CrossEntropy, _optimizer);
        if (state is not null) Import(state, initial.LayerSizes);
    }

    public float LearningRate
    {
        get => (float)_optimizer.LearningRate;
        set => _optimizer.LearningRate = value;
    }

    public float Momentum
    {
        get => (float)_optimizer.Momentum;
        set => _optimizer.Momentum = value;
    }

    public double TrainBatch(Batch batch)
    {
        _sgdSteps++;
        return _steps.TrainBatch(batch);
    }

    public (double LossSum, int Correct) EvaluateBatch(Batch batch) => _steps.EvaluateBatch(batch);

    public MlpNetwork ToNetwork() => _model.ToNetwork();

    public MlpOptimizerState ExportState()
    {
        // Per parameter, its buffers in order: the layout MlpOptimizerState describes.
        Tensor?[] buffers = _optimizer switch
        {
            Adam adam => adam.ExpAvg.Zip(adam.ExpAvgSq).SelectMany(pair => new Tensor?[] { pair.First, pair.Second }).ToArray(),
            Sgd sgd => sgd.MomentumBuffers,
            _ => [],
        };
        float[][] moments = buffers.Any(b => b is null) ? [] : buffers.Select(b => b!.data<float>().ToArray()).ToArray();
        return new MlpOptimizerState(_settings.Kind, _optimizer is Adam a ? a.Steps : _sgdSteps, moments);
    }

    void Import(MlpOptimizerState state, IReadOnlyList<int> sizes)
    {
        state.CheckFits(sizes, _settings);
        _sgdSteps = state.Steps;
        var parameters = _model.Parameters().ToArray();
        int k = _settings.MomentCount;
        if (_optimizer is Adam adam) adam.Steps = state.Steps;
        if (state.Moments.Count == 0) return;
        using var noGrad = torch.no_grad();
        for (int i = 0; i < parameters.Length; i++)
            for (int m = 0; m < k; m++)
            {
                using var source = tensor(state.Moment(i, m, k), parameters[i].shape);
                switch (_optimizer)
                {
                    case Adam a: (m == 0 ? a.ExpAvg : a.ExpAvgSq)[i].copy_(source); break;
                    case Sgd sgd: sgd.MomentumBuffers[i] = source.clone().DetachFromDisposeScope(); break;
                }
            }
    }

    public void Dispose()
    {
        _optimizer.Dispose();
        _model.Dispose();
    }
}
