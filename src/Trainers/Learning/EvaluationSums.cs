namespace MlNetMnist.Trainers.Learning;

/// <summary>
/// What evaluating rows adds up, each row counted with its weight: the loss, the weight itself, the rows predicted
/// right (classification), and the squared error, target and squared target (regression). Every task's metric follows
/// from these sums (<see cref="ITrainable.Metric"/>), so the training loop and its callbacks need not know the task.
/// </summary>
public readonly record struct EvaluationSums(double Loss, double Weight, double Correct, double SquaredError = 0, double Target = 0, double TargetSquared = 0)
{
    /// <summary>Both batches' sums.</summary>
    public static EvaluationSums operator +(EvaluationSums a, EvaluationSums b) => new(a.Loss + b.Loss, a.Weight + b.Weight,
        a.Correct + b.Correct, a.SquaredError + b.SquaredError, a.Target + b.Target, a.TargetSquared + b.TargetSquared);

    /// <summary>The weighted mean loss; NaN when no row counted.</summary>
    public double MeanLoss => Weight > 0 ? Loss / Weight : double.NaN;

    /// <summary>The weighted share of rows predicted right.</summary>
    public double Accuracy => Weight > 0 ? Correct / Weight : double.NaN;

    /// <summary>The coefficient of determination, 1 - squared error / total sum of squares about the weighted mean target.</summary>
    public double RSquared
    {
        get
        {
            double total = TargetSquared - Target * Target / Weight;
            return Weight > 0 && total > 0 ? 1 - SquaredError / total : double.NaN;
        }
    }

    /// <summary>The summed loss and the rows predicted right, as the loop's first version returned them.</summary>
    public void Deconstruct(out double lossSum, out double correct) => (lossSum, correct) = (Loss, Correct);
}
