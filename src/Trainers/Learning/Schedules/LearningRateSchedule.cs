using System.Text.Json.Serialization;

namespace MlNetMnist.Trainers.Learning.Schedules;

/// <summary>
/// How the learning rate (and momentum, or Adam's β1) changes over training, evaluated before every step from the
/// step number and the fit's total steps, as torch.optim.lr_scheduler's schedulers stepped once per batch.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(ConstantSchedule), "constant")]
[JsonDerivedType(typeof(OneCycleSchedule), "onecycle")]
[JsonDerivedType(typeof(CosineSchedule), "cosine")]
public abstract record LearningRateSchedule
{
    /// <summary>The optimizer's rate and momentum at every step.</summary>
    public static ConstantSchedule Constant { get; } = new();

    /// <summary>
    /// The rate and momentum of step <paramref name="step"/> (from 0) of <paramref name="totalSteps"/>, given the
    /// optimizer's <paramref name="learningRate"/> (the peak, for one-cycle) and <paramref name="momentum"/>.
    /// </summary>
    public abstract (double LearningRate, double Momentum) At(long step, long totalSteps, double learningRate, double momentum);

    /// <summary>A short name for tables: constant, onecycle, cosine.</summary>
    public abstract string Name { get; }

    /// <summary>Throws naming the first setting out of range.</summary>
    public virtual void Validate() { }
}

/// <summary>No change: the optimizer's own rate and momentum.</summary>
public sealed record ConstantSchedule : LearningRateSchedule
{
    public override (double LearningRate, double Momentum) At(long step, long totalSteps, double learningRate, double momentum) => (learningRate, momentum);

    public override string Name => "constant";

    public override string ToString() => Name;
}

/// <summary>
/// torch.optim.lr_scheduler.CosineAnnealingLR with T_max the fit's total steps: lr = min + (lr₀ - min)·(1 + cos(π·t/T))/2.
/// Momentum stays the optimizer's.
/// </summary>
/// <param name="MinLearningRate">eta_min, the rate the cosine ends at.</param>
public sealed record CosineSchedule(double MinLearningRate = 0) : LearningRateSchedule
{
    public override (double LearningRate, double Momentum) At(long step, long totalSteps, double learningRate, double momentum) =>
        (MinLearningRate + (learningRate - MinLearningRate) * (1 + Math.Cos(Math.PI * step / totalSteps)) / 2, momentum);

    public override string Name => "cosine";

    public override string ToString() => FormattableString.Invariant($"cosine (to {MinLearningRate:G3})");

    public override void Validate()
    {
        if (!(MinLearningRate >= 0) || !double.IsFinite(MinLearningRate))
            throw new ArgumentOutOfRangeException(nameof(MinLearningRate), MinLearningRate, "MinLearningRate must be a number >= 0.");
    }
}
