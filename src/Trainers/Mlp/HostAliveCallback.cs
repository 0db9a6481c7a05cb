using Microsoft.ML.Runtime;
using MlNetMnist.Trainers.Learning;

namespace MlNetMnist.Trainers;

/// <summary>
/// Checks the trainer's ML.NET host before every batch: <c>MLContext.CancelExecution()</c> (what AutoML's trial runner
/// calls) then ends the fit with <see cref="OperationCanceledException"/>, as the options' token does.
/// </summary>
internal sealed class HostAliveCallback(IHost host) : LearnerCallback
{
    public override int Order => -100;

    public override void BeforeBatch(Learner learner) => host.CheckAlive();
}
