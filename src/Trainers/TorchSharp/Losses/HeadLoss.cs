using MlNetMnist.Trainers.Engines;
using static TorchSharp.torch;

namespace MlNetMnist.Trainers.Losses;

/// <summary>
/// Every <see cref="MlpHead"/>'s loss on tensors, hand-written as the lesson writes cross-entropy (and checked against
/// torch's F.cross_entropy, F.binary_cross_entropy_with_logits, F.mse_loss and F.huber_loss): per-row losses, then their
/// mean, or with weights their weighted mean Σ w·loss / Σ w.
/// </summary>
public static class HeadLoss
{
    /// <summary>Each row's loss of <paramref name="outputs"/> [n, k]: the class index <paramref name="labels"/> [n] (int64) or the target <paramref name="targets"/> [n].</summary>
    public static Tensor PerRow(MlpHead head, Tensor outputs, Tensor labels, Tensor? targets)
    {
        ArgumentNullException.ThrowIfNull(head);
        using var scope = NewDisposeScope();
        var loss = head.Kind switch
        {
            HeadKind.Softmax => -Loss.LogSoftmax(outputs).gather(1, labels.unsqueeze(1)).squeeze(1),
            HeadKind.Logistic => LogLoss(outputs.squeeze(1), labels.to_type(ScalarType.Float32)),
            HeadKind.Squared => (outputs.squeeze(1) - targets!).square(),
            _ => Huber(outputs.squeeze(1) - targets!, head.HuberDelta),
        };
        return loss.MoveToOuterDisposeScope();
    }

    /// <summary>The batch's loss: the mean of <see cref="PerRow"/>, or its mean weighted by <paramref name="weights"/> [n] when given.</summary>
    public static Tensor Mean(MlpHead head, Tensor outputs, Tensor labels, Tensor? targets, Tensor? weights)
    {
        using var scope = NewDisposeScope();
        var rows = PerRow(head, outputs, labels, targets);
        var mean = weights is null ? rows.mean() : (rows * weights).sum() / weights.sum().clamp_min(float.Epsilon);
        return mean.MoveToOuterDisposeScope();
    }

    /// <summary>log(1 + exp(z)) - y·z, as max(z, 0) - y·z + log(1 + exp(-|z|)): no overflow for any finite logit.</summary>
    public static Tensor LogLoss(Tensor logits, Tensor labels)
    {
        using var scope = NewDisposeScope();
        return (logits.clamp_min(0) - labels * logits + (-logits.abs()).exp().log1p()).MoveToOuterDisposeScope();
    }

    /// <summary>Huber's loss of the errors <paramref name="d"/>: ½d² within ±δ, δ(|d| - ½δ) beyond.</summary>
    public static Tensor Huber(Tensor d, float delta)
    {
        using var scope = NewDisposeScope();
        var e = d.abs();
        return where(e < delta, 0.5 * e.square(), delta * (e - 0.5 * delta)).MoveToOuterDisposeScope();
    }
}
