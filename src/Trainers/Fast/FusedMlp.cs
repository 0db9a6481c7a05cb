using MlNetMnist.DataViews;
using MlNetMnist.Trainers.Learning;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetMnist.Trainers.Fast;

/// <summary>
/// The same MLP, loss and SGD as the lesson's modules, with the backward pass written out (the lesson's manual
/// backward, fused): no autograd graph, no Parameter objects, inputs copied into preallocated tensors, and without
/// momentum or weight decay the weight-gradient product and the SGD update are one in-place addmm_
/// (W -= lr/n · gᵀa). Per batch: about fifteen native calls instead of the autograd path's fifty-odd.
/// Initialised exactly as <see cref="Nn.Sequential.Mlp"/> with the same generator, so both start from the same weights.
/// </summary>
public sealed class FusedMlp : ITrainableMlp
{
    readonly int[] _sizes;
    readonly Tensor[] _weights, _biases;       // [out, in] and [out], no grad
    readonly Tensor?[] _weightMomentum, _biasMomentum;
    Tensor _x, _y;                             // input buffers, grown to the largest batch seen
    readonly float _learningRate, _momentum, _weightDecay;

    public FusedMlp(IReadOnlyList<int> sizes, int maxBatchSize, float learningRate, float momentum = 0, float weightDecay = 0, Generator? generator = null)
    {
        _sizes = sizes.ToArray();
        int layers = _sizes.Length - 1;
        _weights = new Tensor[layers];
        _biases = new Tensor[layers];
        using (var init = Nn.Sequential.Mlp(_sizes, generator))
        {
            var linears = init.Layers.OfType<Nn.Linear>().ToArray();
            for (int l = 0; l < layers; l++)
            {
                _weights[l] = linears[l].Weight.detach().clone().DetachFromDisposeScope();
                _biases[l] = linears[l].Bias.detach().clone().DetachFromDisposeScope();
            }
        }
        _weightMomentum = new Tensor?[layers];
        _biasMomentum = new Tensor?[layers];
        // Long-lived: kept out of any dispose scope the caller may have open.
        _x = empty([maxBatchSize, _sizes[0]], ScalarType.Float32).DetachFromDisposeScope();
        _y = empty([maxBatchSize], ScalarType.Int64).DetachFromDisposeScope();
        (_learningRate, _momentum, _weightDecay) = (learningRate, momentum, weightDecay);
    }

    (Tensor X, Tensor Y) Inputs(Batch batch)
    {
        if (batch.Size > _x.shape[0])
        {
            _x.Dispose();
            _y.Dispose();
            _x = empty([batch.Size, _sizes[0]], ScalarType.Float32).DetachFromDisposeScope();
            _y = empty([batch.Size], ScalarType.Int64).DetachFromDisposeScope();
        }
        BatchTensors.Fill(batch, _x, _y);
        return batch.Size == _x.shape[0] ? (_x.alias(), _y.alias()) : (_x.narrow(0, 0, batch.Size), _y.narrow(0, 0, batch.Size));
    }

    /// <summary>Activations of every layer: [input, hidden after ReLU..., logits].</summary>
    Tensor[] Forward(Tensor x)
    {
        var activations = new Tensor[_weights.Length + 1];
        activations[0] = x;
        for (int l = 0; l < _weights.Length; l++)
        {
            var z = _biases[l].addmm(activations[l], _weights[l].t(), 1, 1);
            activations[l + 1] = l < _weights.Length - 1 ? z.relu_() : z;
        }
        return activations;
    }

    public double TrainBatch(Batch batch)
    {
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        var (x, y) = Inputs(batch);
        var a = Forward(x);
        var logProbabilities = a[^1].log_softmax(1);
        var column = y.unsqueeze(1);
        double loss = -logProbabilities.gather(1, column).sum().item<float>() / batch.Size;

        // d(mean loss)/d(logits) = (softmax - onehot) / n; the 1/n is folded into the step size below.
        var g = logProbabilities.exp_();
        g.scatter_add_(1, column, MinusOnes(batch.Size));
        float step = _learningRate / batch.Size;
        for (int l = _weights.Length - 1; l >= 0; l--)
        {
            // The gradient for the layer below uses this layer's weights before they change.
            var below = l > 0 ? g.mm(_weights[l]).mul_(a[l].gt(0)) : null;
            if (_momentum == 0 && _weightDecay == 0)
            {
                _weights[l].addmm_(g.t(), a[l], 1, -step);
                _biases[l].add_(g.sum(dim: 0), alpha: -step);
            }
            else
            {
                Update(_weights[l], g.t().mm(a[l]).div_(batch.Size), ref _weightMomentum[l]);
                Update(_biases[l], g.sum(dim: 0).div_(batch.Size), ref _biasMomentum[l]);
            }
            if (below is not null) g = below;
        }
        return loss;
    }

    Tensor? _minusOnes;

    /// <summary>[n, 1] of -1, kept between steps: subtracting the one-hot target is a scatter_add_ of it.</summary>
    Tensor MinusOnes(int rows)
    {
        if (_minusOnes is null || _minusOnes.shape[0] < rows)
        {
            _minusOnes?.Dispose();
            _minusOnes = full([rows, 1], -1f).DetachFromDisposeScope();
        }
        return rows == _minusOnes.shape[0] ? _minusOnes : _minusOnes.narrow(0, 0, rows);
    }

    /// <summary>torch.optim.SGD's step for one tensor: weight decay, momentum (buffer starts as the first gradient), then p -= lr · g.</summary>
    void Update(Tensor parameter, Tensor gradient, ref Tensor? momentum)
    {
        if (_weightDecay != 0) gradient.add_(parameter, alpha: _weightDecay);
        if (_momentum != 0)
        {
            if (momentum is null) momentum = gradient.clone().DetachFromDisposeScope();
            else momentum.mul_(_momentum).add_(gradient);
            gradient = momentum;
        }
        parameter.add_(gradient, alpha: -_learningRate);
    }

    public (double LossSum, int Correct) EvaluateBatch(Batch batch)
    {
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        var (x, y) = Inputs(batch);
        var logits = Forward(x)[^1];
        double lossSum = -logits.log_softmax(1).gather(1, y.unsqueeze(1)).sum().item<float>();
        int correct = (int)logits.argmax(1).eq(y).sum().item<long>();
        return (lossSum, correct);
    }

    /// <summary>The trained weights as plain arrays.</summary>
    public MlpNetwork ToNetwork() => new(_sizes,
        _weights.Select(w => w.data<float>().ToArray()).ToArray(),
        _biases.Select(b => b.data<float>().ToArray()).ToArray());

    public void Dispose()
    {
        foreach (var t in _weights.Concat(_biases).Concat(_weightMomentum).Concat(_biasMomentum))
            t?.Dispose();
        _x.Dispose();
        _y.Dispose();
        _minusOnes?.Dispose();
    }
}
