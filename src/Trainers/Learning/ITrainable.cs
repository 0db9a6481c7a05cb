using MlNetMnist.DataViews;

namespace MlNetMnist.Trainers.Learning;

/// <summary>What the <see cref="Learner"/> drives: one training step and one evaluation per batch.</summary>
public interface ITrainable
{
    /// <summary>Forward, loss, backward and parameter update on one batch; returns the batch's mean loss.</summary>
    double TrainBatch(Batch batch);

    /// <summary>Loss summed over the batch's rows and the number of rows predicted right, without learning.</summary>
    (double LossSum, int Correct) EvaluateBatch(Batch batch);
}
