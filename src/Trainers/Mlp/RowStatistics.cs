using MlNetMnist.DataViews;

namespace MlNetMnist.Trainers;

/// <summary>
/// What a head needs to know of the training rows before the first step, from one pass over an epoch of batches (in
/// memory or streamed alike): each class's total weight (for balanced class weights) and the label's weighted mean and
/// standard deviation (to standardise a regression target).
/// </summary>
internal sealed record RowStatistics(double[] ClassWeights, double TargetMean, double TargetDeviation)
{
    public static RowStatistics Of(IBatchSource rows, int classCount, CancellationToken cancellationToken)
    {
        var perClass = new double[classCount];
        var moments = new TargetMoments();
        foreach (var batch in rows.Epoch(0, cancellationToken))
        {
            var labels = batch.Labels.Span;
            var weights = batch.Weights.Span;
            var targets = batch.Targets.Span;
            for (int r = 0; r < batch.Size; r++)
            {
                float weight = weights.IsEmpty ? 1 : weights[r];
                perClass[labels[r]] += weight;
                if (!targets.IsEmpty) moments.Add(targets[r], weight);
            }
        }
        return new(perClass, moments.Mean, moments.StandardDeviation);
    }

    /// <summary>
    /// scikit-learn's "balanced" weights, total / (classes · class total): every class then weighs the same in all. A
    /// class with no rows gets 0.
    /// </summary>
    public float[] BalancedClassWeights()
    {
        double total = ClassWeights.Sum();
        return ClassWeights.Select(c => c > 0 ? (float)(total / (ClassWeights.Length * c)) : 0f).ToArray();
    }
}
