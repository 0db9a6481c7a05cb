using MlNetMnist.DataViews;

namespace MlNetMnist.Trainers.Learning;

/// <summary>What the <see cref="Learner"/> drives: one training step and one evaluation per batch, and the task's metric.</summary>
public interface ITrainable
{
    /// <summary>Forward, loss, backward and parameter update on one batch; returns the batch's (weighted) mean loss.</summary>
    double TrainBatch(Batch batch);

    /// <summary>The batch's loss and metric sums (<see cref="EvaluationSums"/>), without learning.</summary>
    EvaluationSums EvaluateBatch(Batch batch);

    /// <summary>The name of the validation metric <see cref="Metric"/> computes: higher is better.</summary>
    string MetricName => "accuracy";

    /// <summary>The validation metric of evaluated rows' sums: by default accuracy.</summary>
    double Metric(EvaluationSums sums) => sums.Accuracy;
}
