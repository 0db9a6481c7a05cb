namespace MlNetMnist.Trainers.Learning.Callbacks;

/// <summary>
/// fastai's LR finder: the rate grows exponentially from <paramref name="start"/> to <paramref name="end"/> over
/// <paramref name="steps"/> training batches; the loss is smoothed by a debiased moving average (as fastai's Recorder,
/// with a shorter memory), and the fit stops once the smoothed loss exceeds <paramref name="divergence"/> times its minimum (or is
/// not finite) or the steps are done. <see cref="Result"/> then holds the curve and the suggestions.
/// </summary>
public sealed class LrFinderCallback(ISchedulable target, double start = 1e-7, double end = 10, int steps = 200, double divergence = 4) : LearnerCallback
{
    const double Beta = 0.9; // fastai's 0.98 remembers ~50 steps: over 100 steps from 1e-7 to 10, four decades of rate
    readonly List<double> _rates = [], _losses = [], _smoothed = [];
    double _average, _minimum = double.PositiveInfinity;

    public override void BeforeBatch(Learner learner)
    {
        if (!learner.Training) return;
        target.LearningRate = (float)Rate(_rates.Count);
    }

    double Rate(int step) => start * Math.Pow(end / start, (double)step / Math.Max(1, steps - 1));

    public override void AfterBatch(Learner learner)
    {
        if (!learner.Training) return;
        _rates.Add(Rate(_rates.Count));
        _losses.Add(learner.Loss);
        _average = Beta * _average + (1 - Beta) * learner.Loss;
        double smooth = _average / (1 - Math.Pow(Beta, _losses.Count));
        _smoothed.Add(smooth);
        _minimum = Math.Min(_minimum, smooth);
        if (!double.IsFinite(smooth) || smooth > divergence * _minimum || _rates.Count >= steps)
            throw new CancelFitException();
    }

    /// <summary>The curve so far and the suggested rates.</summary>
    public LrFinderResult Result => LrFinderResult.From(_rates, _losses, _smoothed);
}

/// <summary>
/// An LR finder's curve (rate, loss and smoothed loss per batch) and its suggestions: <see cref="Minimum"/> is the rate
/// at the lowest smoothed loss, <see cref="Suggested"/> a tenth of it (fastai's classic advice: a rate where the loss
/// still falls steeply, an order of magnitude below where it bottoms out), <see cref="Steepest"/> the rate where the
/// smoothed loss falls fastest per decade.
/// </summary>
public sealed record LrFinderResult(IReadOnlyList<double> LearningRates, IReadOnlyList<double> Losses, IReadOnlyList<double> SmoothedLosses,
    double Minimum, double Suggested, double Steepest)
{
    internal static LrFinderResult From(List<double> rates, List<double> losses, List<double> smoothed)
    {
        if (rates.Count < 2) throw new InvalidOperationException("The LR finder ran fewer than two batches: give it more training rows.");
        int lowest = 0;
        for (int i = 1; i < smoothed.Count; i++)
            if (smoothed[i] < smoothed[lowest]) lowest = i;
        int steepest = 0;
        double fastest = double.PositiveInfinity;
        for (int i = 1; i <= lowest; i++)
        {
            double slope = (smoothed[i] - smoothed[i - 1]) / (Math.Log10(rates[i]) - Math.Log10(rates[i - 1]));
            if (slope < fastest) (fastest, steepest) = (slope, i);
        }
        return new LrFinderResult(rates.ToArray(), losses.ToArray(), smoothed.ToArray(), rates[lowest], rates[lowest] / 10, rates[steepest]);
    }
}
