namespace MlNetMnist.DataViews;

/// <summary>The weighted mean and standard deviation of values added one at a time (West's weighted form of Welford's update, in double).</summary>
public sealed class TargetMoments
{
    double _weight, _mean, _squares;

    /// <summary>Adds <paramref name="value"/> counted <paramref name="weight"/> times (a weight of 0 adds nothing).</summary>
    public void Add(double value, double weight = 1)
    {
        if (!(weight > 0)) return;
        _weight += weight;
        double delta = value - _mean;
        _mean += delta * weight / _weight;
        _squares += weight * delta * (value - _mean);
    }

    /// <summary>The weighted mean (0 before any weight).</summary>
    public double Mean => _mean;

    /// <summary>The weighted population standard deviation (0 before any weight).</summary>
    public double StandardDeviation => _weight > 0 ? Math.Sqrt(Math.Max(_squares, 0) / _weight) : 0;

    /// <summary>The moments of <paramref name="values"/> weighted by <paramref name="weights"/> (null: all 1).</summary>
    public static TargetMoments Of(ReadOnlySpan<float> values, ReadOnlySpan<float> weights)
    {
        var moments = new TargetMoments();
        for (int i = 0; i < values.Length; i++) moments.Add(values[i], weights.IsEmpty ? 1 : weights[i]);
        return moments;
    }
}
