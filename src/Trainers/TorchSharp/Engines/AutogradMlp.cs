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
/// The lesson's way, owning its pieces: <see cref="Sequential.Mlp(MlpNetwork)"/>, the head's loss (<see cref="HeadLoss"/>;
/// the lesson's <see cref="Loss.CrossEntropy"/> for unweighted softmax) and <see cref="Sgd"/> or <see cref="Adam"/>,
/// backward by autograd. Evaluation scores the outputs with the head's own row arithmetic, as the managed engine does.
/// </summary>
public sealed class AutogradMlp : ITrainableMlp
{
    readonly Sequential _model;
    readonly IOptimizer _optimizer;
    readonly MlpOptimizer _settings;
    readonly MlpHead _head;
    long _sgdSteps;

    public AutogradMlp(MlpNetwork initial, MlpOptimizer optimizer, float learningRate, MlpOptimizerState? state = null, MlpHead? head = null)
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
        _head = head ?? MlpHead.Softmax();
        _head.Validate();
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
        using var scope = NewDisposeScope();
        _model.Train();
        var (x, y) = BatchTensors.Copy(batch);
        var (targets, weights) = RowTensors(batch);
        var outputs = _model.Forward(x);
        var loss = weights is null && _head.Kind == HeadKind.Softmax ? Loss.CrossEntropy(outputs, y) : HeadLoss.Mean(_head, outputs, y, targets, weights);
        loss.backward();
        _optimizer.Step();
        _optimizer.ZeroGrad();
        return loss.item<float>();
    }

    /// <summary>The standardised targets (regression) and the row weights (example times class weight, when any differs from 1).</summary>
    (Tensor? Targets, Tensor? Weights) RowTensors(Batch batch)
    {
        var rows = Enumerable.Range(0, batch.Size);
        var targets = _head.IsRegression ? tensor(rows.Select(r => _head.Target(batch, r)).ToArray()) : null;
        bool weighted = !batch.Weights.IsEmpty || _head.ClassWeights is not null;
        return (targets, weighted ? tensor(rows.Select(r => _head.Weight(batch, r)).ToArray()) : null);
    }

    public EvaluationSums EvaluateBatch(Batch batch)
    {
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        _model.Eval();
        var (x, _) = BatchTensors.Copy(batch);
        var outputs = _model.Forward(x).contiguous().data<float>().ToArray();
        int k = outputs.Length / batch.Size;
        var labels = batch.Labels.Span;
        var sums = new EvaluationSums();
        for (int r = 0; r < batch.Size; r++)
            sums += _head.Evaluate(outputs.AsSpan(r * k, k), labels[r], _head.Target(batch, r), _head.Weight(batch, r));
        return sums;
    }

    public string MetricName => _head.MetricName;

    public double Metric(EvaluationSums sums) => _head.Metric(sums);

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
