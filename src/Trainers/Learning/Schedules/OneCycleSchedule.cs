namespace MlNetMnist.Trainers.Learning.Schedules;

/// <summary>
/// torch.optim.lr_scheduler.OneCycleLR (two phases, cosine annealing): the rate rises from max/<see cref="DivFactor"/>
/// to the optimizer's rate (the peak) over the first <see cref="PctStart"/> of the steps, then anneals to
/// max/(<see cref="DivFactor"/>·<see cref="FinalDivFactor"/>); with <see cref="CycleMomentum"/>, momentum (Adam's β1)
/// moves the other way, from <see cref="MaxMomentum"/> down to <see cref="BaseMomentum"/> and back.
/// </summary>
public sealed record OneCycleSchedule(
    double PctStart = 0.3,
    double DivFactor = 25,
    double FinalDivFactor = 1e4,
    bool CycleMomentum = true,
    double BaseMomentum = 0.85,
    double MaxMomentum = 0.95) : LearningRateSchedule
{
    public override string Name => "onecycle";

    public override string ToString() => FormattableString.Invariant(
        $"onecycle (warm-up {PctStart:P0}, from max/{DivFactor:G3} to max/{DivFactor * FinalDivFactor:G3}") +
        (CycleMomentum ? FormattableString.Invariant($", momentum {MaxMomentum:G3} -> {BaseMomentum:G3} -> {MaxMomentum:G3})") : ")");

    public override (double LearningRate, double Momentum) At(long step, long totalSteps, double learningRate, double momentum)
    {
        if (step >= totalSteps)
            throw new ArgumentOutOfRangeException(nameof(step), step, $"One-cycle was planned for {totalSteps} steps.");
        double initial = learningRate / DivFactor, final = initial / FinalDivFactor;
        double warmEnd = PctStart * totalSteps - 1, lastStep = totalSteps - 1;
        double lr, mom;
        if (step <= warmEnd)
        {
            double pct = step / warmEnd;
            (lr, mom) = (Anneal(initial, learningRate, pct), Anneal(MaxMomentum, BaseMomentum, pct));
        }
        else
        {
            double pct = (step - warmEnd) / (lastStep - warmEnd);
            (lr, mom) = (Anneal(learningRate, final, pct), Anneal(BaseMomentum, MaxMomentum, pct));
        }
        return (lr, CycleMomentum ? mom : momentum);
    }

    /// <summary>Cosine from <paramref name="start"/> (pct 0) to <paramref name="end"/> (pct 1), as torch's _annealing_cos.</summary>
    static double Anneal(double start, double end, double pct) => end + (start - end) / 2.0 * (Math.Cos(Math.PI * pct) + 1);

    /// <summary>Throws naming the first setting out of range.</summary>
    public override void Validate()
    {
        if (!(PctStart > 0 && PctStart < 1)) throw new ArgumentOutOfRangeException(nameof(PctStart), PctStart, "PctStart must be in (0, 1).");
        if (!(DivFactor > 0) || !(FinalDivFactor > 0)) throw new ArgumentOutOfRangeException(nameof(DivFactor), "The division factors must be positive.");
        if (!(BaseMomentum >= 0 && BaseMomentum <= MaxMomentum && MaxMomentum < 1))
            throw new ArgumentOutOfRangeException(nameof(BaseMomentum), "Momenta must satisfy 0 <= BaseMomentum <= MaxMomentum < 1.");
    }
}
