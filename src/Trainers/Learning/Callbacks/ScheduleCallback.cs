using MlNetMnist.Trainers.Learning.Schedules;

namespace MlNetMnist.Trainers.Learning.Callbacks;

/// <summary>
/// Sets the optimizer's rate and momentum before every training step from <paramref name="schedule"/> at the learner's
/// step (counted from epoch 0, so a resumed fit continues the schedule) of its total steps.
/// </summary>
/// <param name="target">The optimizer settings to set.</param>
/// <param name="schedule">The schedule.</param>
/// <param name="learningRate">The optimizer's rate: the schedule's base (the peak, for one-cycle).</param>
/// <param name="momentum">The optimizer's momentum or β1, for schedules that leave it alone.</param>
public sealed class ScheduleCallback(ISchedulable target, LearningRateSchedule schedule, double learningRate, double momentum) : LearnerCallback
{
    public override int Order => -10;

    public override void BeforeBatch(Learner learner)
    {
        if (!learner.Training) return;
        var (lr, mom) = schedule.At(learner.Step, learner.TotalSteps, learningRate, momentum);
        target.LearningRate = (float)lr;
        target.Momentum = (float)mom;
    }
}
