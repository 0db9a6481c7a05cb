namespace MlNetMnist.Trainers.Learning;

/// <summary>Throws <see cref="OperationCanceledException"/> before a batch once the token is cancelled: Fit then ends with it.</summary>
public sealed class CancellationCallback(CancellationToken token) : LearnerCallback
{
    public override int Order => -100;

    public override void BeforeBatch(Learner learner) => token.ThrowIfCancellationRequested();
}
