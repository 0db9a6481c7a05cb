using static TorchSharp.torch;

namespace MlNetMnist.Trainers.Nn.Manual;

/// <summary>
/// The lesson's from-scratch backward pass (seed 001: Lin, Relu, Mse with bwd): each layer keeps what its
/// forward saw and, given the gradient of its output, returns the gradient of its input and stores the
/// gradients of its own weights. No autograd graph: tensors here never require grad.
/// </summary>
public interface IManualLayer
{
    Tensor Forward(Tensor input);

    /// <summary>Gradient of the loss w.r.t. this layer's input, from the gradient w.r.t. its output.</summary>
    Tensor Backward(Tensor outputGradient);
}

/// <summary>out = inp Wᵀ + b, W [out, in]. Backward: inp.g = out.g W, W.g = out.gᵀ inp, b.g = Σ out.g.</summary>
public sealed class ManualLinear(Tensor weight, Tensor bias) : IManualLayer
{
    Tensor? _input;

    public Tensor Weight { get; } = weight;

    public Tensor Bias { get; } = bias;

    public Tensor? WeightGradient { get; private set; }

    public Tensor? BiasGradient { get; private set; }

    public Tensor Forward(Tensor input)
    {
        _input = input;
        return input.matmul(Weight.t()) + Bias;
    }

    public Tensor Backward(Tensor outputGradient)
    {
        var input = _input ?? throw new InvalidOperationException("Backward before Forward.");
        WeightGradient = outputGradient.t().matmul(input);
        BiasGradient = outputGradient.sum(dim: 0); // a bare 0 would bind to sum(ScalarType)
        return outputGradient.matmul(Weight);
    }
}

/// <summary>out = max(inp, 0). Backward: inp.g = (inp &gt; 0) · out.g.</summary>
public sealed class ManualRelu : IManualLayer
{
    Tensor? _input;

    public Tensor Forward(Tensor input)
    {
        _input = input;
        return input.clamp_min(0);
    }

    public Tensor Backward(Tensor outputGradient) =>
        (_input ?? throw new InvalidOperationException("Backward before Forward.")).gt(0).to_type(ScalarType.Float32) * outputGradient;
}

/// <summary>The lesson's regression loss: mean((inp - target)²). Backward: inp.g = 2 (inp - target) / n.</summary>
public sealed class ManualMse
{
    Tensor? _input, _target;

    public Tensor Forward(Tensor input, Tensor target)
    {
        (_input, _target) = (input, target);
        return (input.squeeze(-1) - target).pow(2).mean();
    }

    public Tensor Backward() =>
        (2.0 * (_input!.squeeze(-1) - _target!) / _target!.shape[0]).unsqueeze(-1);
}

/// <summary>Cross-entropy of logits. Backward: logits.g = (softmax(logits) - onehot(target)) / n.</summary>
public sealed class ManualCrossEntropy
{
    Tensor? _logits, _target;

    public Tensor Forward(Tensor logits, Tensor target)
    {
        (_logits, _target) = (logits, target);
        return Losses.Loss.CrossEntropy(logits, target);
    }

    public Tensor Backward()
    {
        var probabilities = Losses.Loss.LogSoftmax(_logits!).exp();
        var oneHot = zeros_like(probabilities).scatter_(1, _target!.unsqueeze(1), ones_like(probabilities));
        return (probabilities - oneHot) / _target!.shape[0];
    }
}

/// <summary>Layers run forward in order and backward in reverse, as the lesson's Model with its backward().</summary>
public sealed class ManualModel(params IManualLayer[] layers)
{
    public IReadOnlyList<IManualLayer> Layers => layers;

    public Tensor Forward(Tensor input)
    {
        foreach (var layer in layers) input = layer.Forward(input);
        return input;
    }

    /// <summary>Propagates the loss gradient back through every layer; returns the gradient w.r.t. the input.</summary>
    public Tensor Backward(Tensor outputGradient)
    {
        for (int i = layers.Length - 1; i >= 0; i--) outputGradient = layers[i].Backward(outputGradient);
        return outputGradient;
    }
}
