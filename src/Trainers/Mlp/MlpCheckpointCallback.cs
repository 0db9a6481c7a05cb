using Microsoft.ML;
using MlNetMnist.Trainers.Learning;
using MlNetMnist.Trainers.Learning.Callbacks;

namespace MlNetMnist.Trainers;

/// <summary>
/// Writes <see cref="MlpCheckpointOptions"/>' checkpoints after the epochs it names: the model to continue from and, with
/// early stopping, the model the fit would return now. Runs after early stopping (order 20), so that the epoch that stops
/// the fit is not checkpointed as one to continue from: a resumed fit runs it again and stops there too.
/// </summary>
/// <param name="options">Where and how often.</param>
/// <param name="resumable">The model to continue from, given this fit's history so far.</param>
/// <param name="result">The model the fit would return now, given this fit's history so far.</param>
/// <param name="early">Early stopping, if on.</param>
/// <param name="transformer">The trainer's transformer of a fit result (its task's model parameters inside).</param>
/// <param name="trainSchema">The training data's schema, saved with the transformer when no pipeline is given.</param>
internal sealed class MlpCheckpointCallback(MlpCheckpointOptions options, Func<IReadOnlyList<EpochMetrics>, MlpFitResult> resumable,
    Func<IReadOnlyList<EpochMetrics>, MlpFitResult> result, EarlyStoppingCallback? early,
    Func<MlpFitResult, ITransformer> transformer, DataViewSchema trainSchema) : LearnerCallback
{
    readonly MLContext _ml = new();
    int? _bestSaved;

    public override int Order => 30;

    public override void BeforeFit(Learner learner)
    {
        _bestSaved = null;
        AtomicFile.DeleteStale(options.Path);
        if (early is not null) AtomicFile.DeleteStale(options.BestPath);
    }

    public override void AfterEpoch(Learner learner)
    {
        if ((learner.Epoch + 1) % options.EveryEpochs != 0) return;
        Save(resumable(learner.History), options.Path);
        if (early?.Best?.Epoch is int best && best != _bestSaved)
        {
            Save(result(learner.History), options.BestPath);
            _bestSaved = best;
        }
    }

    void Save(MlpFitResult model, string path)
    {
        var mlp = transformer(model);
        var pipeline = options.Pipeline?.Invoke(mlp) ?? mlp;
        AtomicFile.Write(path, stream =>
        {
            if (options.Save is { } save) save(pipeline, stream);
            else _ml.Model.Save(pipeline, options.InputSchema ?? trainSchema, stream);
        });
    }
}
