using static TorchSharp.torch;

namespace MlNetMnist.Trainers.Losses;

/// <summary>The lesson's hand-written cross-entropy, piece by piece.</summary>
public static class Loss
{
    /// <summary>log Σ exp(x) over the last dimension, with the max subtracted first so that exp cannot overflow.</summary>
    public static Tensor LogSumExp(Tensor x)
    {
        using var scope = NewDisposeScope();
        var m = x.max(-1, keepdim: true).values;
        return (m.squeeze(-1) + (x - m).exp().sum(-1).log()).MoveToOuterDisposeScope();
    }

    /// <summary>log softmax(x) = x - logsumexp(x), over the last dimension.</summary>
    public static Tensor LogSoftmax(Tensor x)
    {
        using var scope = NewDisposeScope();
        return (x - LogSumExp(x).unsqueeze(-1)).MoveToOuterDisposeScope();
    }

    /// <summary>Negative log-likelihood: the mean of -logp[i, target[i]], picked by index (no one-hot).</summary>
    public static Tensor Nll(Tensor logProbabilities, Tensor target)
    {
        using var scope = NewDisposeScope();
        return (-logProbabilities.gather(1, target.unsqueeze(1)).mean()).MoveToOuterDisposeScope();
    }

    /// <summary>Cross-entropy of raw logits: Nll(LogSoftmax(logits)).</summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor target)
    {
        using var scope = NewDisposeScope();
        return Nll(LogSoftmax(logits), target).MoveToOuterDisposeScope();
    }

    /// <summary>Share of rows whose highest logit is the target.</summary>
    public static Tensor Accuracy(Tensor logits, Tensor target)
    {
        using var scope = NewDisposeScope();
        return logits.argmax(1).eq(target).to_type(ScalarType.Float32).mean().MoveToOuterDisposeScope();
    }
}
