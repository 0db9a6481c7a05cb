using MlNetMnist.DataViews;

namespace MlNetMnist.Trainers.Learning;

/// <summary>
/// The lesson's fit(epochs, model, loss_func, opt, train_dl, valid_dl), with fastai's callbacks: each epoch trains over
/// the training batches, then evaluates over the validation batches, and every stage calls the callbacks' hooks
/// (<see cref="LearnerCallback"/>). Metrics, progress reports, cancellation, schedules and early stopping are all
/// callbacks. What a step does is the <see cref="ITrainable"/>'s business: an engine's MLP, or the lesson's modules
/// with autograd (the TorchSharp add-on's ModuleTrainable).
/// </summary>
public sealed class Learner
{
    readonly List<LearnerCallback> _callbacks;
    readonly List<EpochMetrics> _history = [];
    List<LearnerCallback> _running = [];

    /// <param name="model">What steps and evaluates.</param>
    /// <param name="train">The training batches, reshuffled per epoch number.</param>
    /// <param name="valid">Batches evaluated after each epoch, if any.</param>
    /// <param name="callbacks">Callbacks of every fit; <see cref="Fit"/> adds metrics, progress and cancellation of its own.</param>
    public Learner(ITrainable model, IBatchSource train, IBatchSource? valid = null, IEnumerable<LearnerCallback>? callbacks = null)
    {
        (Model, Train, Valid) = (model, train, valid);
        _callbacks = callbacks?.ToList() ?? [];
    }

    public ITrainable Model { get; }

    public IBatchSource Train { get; }

    public IBatchSource? Valid { get; }

    /// <summary>The current epoch, from 0.</summary>
    public int Epoch { get; private set; }

    /// <summary>The epoch the fit ends before: epochs [<see cref="FirstEpoch"/>, <see cref="Epochs"/>) run.</summary>
    public int Epochs { get; private set; }

    /// <summary>The fit's first epoch: 0, or the epochs already trained when resuming.</summary>
    public int FirstEpoch { get; private set; }

    /// <summary>Whether the current batch is a training batch (else validation).</summary>
    public bool Training { get; private set; }

    /// <summary>The batch in flight.</summary>
    public Batch? Batch { get; private set; }

    /// <summary>The training step the current batch is, counted over all epochs from epoch 0: what a schedule reads.</summary>
    public long Step => (long)Epoch * Train.BatchCount + (Batch?.Index ?? 0);

    /// <summary>All training steps of epochs [0, <see cref="Epochs"/>).</summary>
    public long TotalSteps => (long)Epochs * Train.BatchCount;

    /// <summary>The last training batch's mean loss.</summary>
    public double Loss { get; private set; }

    /// <summary>The last validation batch's loss and metric sums.</summary>
    public EvaluationSums Evaluation { get; private set; }

    /// <summary>Every finished epoch's metrics, this fit's and earlier fits' of this learner.</summary>
    public IReadOnlyList<EpochMetrics> History => _history;

    /// <summary>Adds an epoch's metrics to <see cref="History"/> (the metrics callback does).</summary>
    public void Record(EpochMetrics metrics) => _history.Add(metrics);

    /// <summary>The callbacks of the fit in progress, in the order they run.</summary>
    public IReadOnlyList<LearnerCallback> Callbacks => _running;

    /// <summary>
    /// Trains epochs [<paramref name="firstEpoch"/>, <paramref name="epochs"/>) (the epoch number seeds each epoch's
    /// shuffle, so a resumed fit continues the order), reporting to <paramref name="progress"/>, throwing
    /// <see cref="OperationCanceledException"/> between batches when cancelled. Returns this fit's epochs' metrics.
    /// </summary>
    public IReadOnlyList<EpochMetrics> Fit(int epochs, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default,
        int firstEpoch = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(firstEpoch);
        ArgumentOutOfRangeException.ThrowIfLessThan(epochs, firstEpoch);
        (FirstEpoch, Epochs) = (firstEpoch, epochs);
        int recorded = _history.Count;
        _running = [new CancellationCallback(cancellationToken), new MetricsCallback(), .. _callbacks];
        if (progress is not null) _running.Add(new ProgressCallback(progress));
        _running = _running.OrderBy(c => c.Order).ToList(); // stable: registration order among equals
        try
        {
            Call(Hook.BeforeFit);
            for (Epoch = firstEpoch; Epoch < epochs; Epoch++)
                RunEpoch(cancellationToken);
        }
        catch (CancelFitException) { }
        Call(Hook.AfterFit);
        return _history.Skip(recorded).ToArray();
    }

    void RunEpoch(CancellationToken cancellationToken)
    {
        Call(Hook.BeforeEpoch);
        Training = true;
        try
        {
            foreach (var batch in Train.Epoch(Epoch, cancellationToken))
                RunBatch(batch);
        }
        catch (CancelEpochException) { }
        Training = false;
        if (Valid is not null)
            foreach (var batch in Valid.Epoch(0, cancellationToken))
                RunBatch(batch);
        Batch = null;
        Call(Hook.AfterEpoch);
    }

    void RunBatch(Batch batch)
    {
        Batch = batch;
        try
        {
            Call(Hook.BeforeBatch);
            if (Training) Loss = Model.TrainBatch(batch);
            else Evaluation = Model.EvaluateBatch(batch);
            Call(Hook.AfterBatch);
        }
        catch (CancelBatchException) { }
    }

    enum Hook { BeforeFit, AfterFit, BeforeEpoch, AfterEpoch, BeforeBatch, AfterBatch }

    // A switch rather than a delegate per call: nothing allocated per batch.
    void Call(Hook hook)
    {
        foreach (var callback in _running)
            switch (hook)
            {
                case Hook.BeforeFit: callback.BeforeFit(this); break;
                case Hook.AfterFit: callback.AfterFit(this); break;
                case Hook.BeforeEpoch: callback.BeforeEpoch(this); break;
                case Hook.AfterEpoch: callback.AfterEpoch(this); break;
                case Hook.BeforeBatch: callback.BeforeBatch(this); break;
                case Hook.AfterBatch: callback.AfterBatch(this); break;
            }
    }

    /// <summary>Mean loss and the model's metric (<see cref="ITrainable.Metric"/>) over <paramref name="source"/>'s first epoch, rows weighted.</summary>
    public (double? Loss, double? Metric) Evaluate(IBatchSource source, CancellationToken cancellationToken = default)
    {
        var sums = new EvaluationSums();
        foreach (var batch in source.Epoch(0, cancellationToken))
            sums += Model.EvaluateBatch(batch);
        return sums.Weight > 0 ? (sums.MeanLoss, Model.Metric(sums)) : (null, null);
    }
}
