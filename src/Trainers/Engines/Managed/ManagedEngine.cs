using MlNetMnist.Trainers.Models;

namespace MlNetMnist.Trainers.Engines.Managed;

/// <summary>
/// The default engine: <see cref="ManagedMlp"/>, the lesson's manual backward in managed SIMD code over each row's
/// nonzero inputs. It reads sparse batches as they are; batches it splits between its threads come as views of the
/// dataset's rows (its threads copy them in parallel) with no loader worker, which would take a core from the step;
/// smaller batches get one worker, which copies the next batch during the step.
/// </summary>
public sealed class ManagedEngine : MlpEngine
{
    public static ManagedEngine Instance { get; } = new();

    ManagedEngine() { }

    public override string Name => "Managed";

    public override ITrainableMlp Create(MlpNetwork initial, MlpOptimizer optimizer, MlpOptimizerState? state = null, MlpHead? head = null) =>
        new ManagedMlp(initial, optimizer, state: state, head: head);

    protected override bool ReadsSparseBatches => true;

    protected override bool ViewsRows(int batchSize) => SplitsBatches(batchSize);

    protected override int Workers(int batchSize) => SplitsBatches(batchSize) ? 0 : 1;

    static bool SplitsBatches(int batchSize) => batchSize >= ManagedMlp.SplitRows && Environment.ProcessorCount > 1;
}
