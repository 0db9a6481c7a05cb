namespace MlNetMnist.Trainers.Learning;

/// <summary>
/// A piece of the training loop that plugs into the <see cref="Learner"/>, as fastai's callbacks do: the learner calls
/// each hook of every callback in <see cref="Order"/>, and a hook reads or changes the learner's state (epoch, batch,
/// loss, history). A hook stops work by throwing <see cref="CancelBatchException"/>, <see cref="CancelEpochException"/>
/// or <see cref="CancelFitException"/>; any other exception ends the fit and reaches the caller.
/// </summary>
public abstract class LearnerCallback
{
    /// <summary>Callbacks run in ascending order, registration order among equals. Metrics record at 0, progress reports at 10.</summary>
    public virtual int Order => 0;

    /// <summary>Before the first epoch.</summary>
    public virtual void BeforeFit(Learner learner) { }

    /// <summary>After the last epoch, or after a <see cref="CancelFitException"/>; not after any other exception.</summary>
    public virtual void AfterFit(Learner learner) { }

    /// <summary>Before an epoch's training batches.</summary>
    public virtual void BeforeEpoch(Learner learner) { }

    /// <summary>After an epoch's training and validation batches.</summary>
    public virtual void AfterEpoch(Learner learner) { }

    /// <summary>Before a training or validation batch (<see cref="Learner.Training"/> says which) goes through the model.</summary>
    public virtual void BeforeBatch(Learner learner) { }

    /// <summary>After a batch: <see cref="Learner.Loss"/> (training) or <see cref="Learner.Evaluation"/> (validation) is set.</summary>
    public virtual void AfterBatch(Learner learner) { }
}

/// <summary>Thrown by a callback: skip the rest of this batch's hooks and go on with the next batch.</summary>
public sealed class CancelBatchException() : Exception("Batch cancelled by a callback.");

/// <summary>Thrown by a callback during training batches: skip the epoch's remaining training batches; it still validates and ends.</summary>
public sealed class CancelEpochException() : Exception("Epoch cancelled by a callback.");

/// <summary>Thrown by a callback: stop training after this point; <see cref="LearnerCallback.AfterFit"/> still runs and Fit returns.</summary>
public sealed class CancelFitException() : Exception("Fit cancelled by a callback.");
