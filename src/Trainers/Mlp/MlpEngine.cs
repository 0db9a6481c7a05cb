using System.Text.Json.Serialization;
using MlNetMnist.Trainers.Fast;
using MlNetMnist.Trainers.Learning;
using static TorchSharp.torch;

namespace MlNetMnist.Trainers;

/// <summary>The ways <see cref="MlpTrainer"/> computes a step; all are the same model, loss and SGD, from the same initial weights.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<MlpEngine>))] // by name in the model zip and metrics JSON
public enum MlpEngine
{
    // The values are stored in model zips (as names now, as numbers by format 0x00010001's first builds): keep them.

    /// <summary><see cref="FusedMlp"/>: the backward pass written out as a few libtorch calls, no autograd graph.</summary>
    Fused = 0,

    /// <summary>The lesson's Module, Linear, ReLU and Sequential, backward by autograd, stepped by Sgd.</summary>
    Autograd = 1,

    /// <summary><see cref="ManagedMlp"/>: the backward pass written out in managed SIMD code, skipping zero inputs. The fastest at the lesson's small batches.</summary>
    Managed = 2,
}

/// <summary>A trainable MLP that hands out its weights at the end: what the trainer and the benchmarks drive.</summary>
public interface ITrainableMlp : ITrainable, IDisposable
{
    /// <summary>The current weights as plain arrays.</summary>
    MlpNetwork ToNetwork();
}

/// <summary>Makes the MLP an <see cref="MlpEngine"/> computes with.</summary>
public static class MlpEngines
{
    /// <summary>
    /// Whether <paramref name="engine"/> reads sparse batches (<see cref="DataViews.DataLoaderOptions.Sparse"/>) as
    /// they are, which makes it faster on mostly-zero data; the others take them too, copied out dense.
    /// </summary>
    public static bool ReadsSparseBatches(MlpEngine engine) => engine == MlpEngine.Managed;

    /// <summary>
    /// The DataLoader workers that suit <paramref name="engine"/> at <paramref name="batchSize"/> rows: none when the
    /// managed engine splits such batches between two threads (the worker would take a core from the step; the
    /// batch is then a view of the dataset's rows, copied by the engine's threads: 40 against 52 ms an epoch at batch
    /// 512), else one, which copies the next batch on the other core during the step (58 against 67 ms at batch 50).
    /// </summary>
    public static int DefaultWorkers(MlpEngine engine, int batchSize) =>
        engine == MlpEngine.Managed && batchSize >= ManagedMlp.SplitRows && Environment.ProcessorCount > 1 ? 0 : 1;

    /// <summary>A new MLP of <paramref name="sizes"/> ([in, hidden..., classes]) computed by <paramref name="engine"/>.</summary>
    /// <param name="engine">How steps are computed.</param>
    /// <param name="sizes">Input size, hidden sizes, class count.</param>
    /// <param name="maxBatchSize">The largest batch it will see (buffers are sized for it, and grow if needed).</param>
    /// <param name="learningRate">SGD step size.</param>
    /// <param name="momentum">SGD momentum, as torch.optim.SGD.</param>
    /// <param name="weightDecay">L2 penalty, as torch.optim.SGD.</param>
    /// <param name="generator">Source of the initial weights (PyTorch's Linear initialisation).</param>
    public static ITrainableMlp Create(MlpEngine engine, IReadOnlyList<int> sizes, int maxBatchSize, float learningRate,
        float momentum = 0, float weightDecay = 0, Generator? generator = null) => engine switch
    {
        MlpEngine.Managed => new ManagedMlp(sizes, learningRate, momentum, weightDecay, generator),
        MlpEngine.Fused => new FusedMlp(sizes, maxBatchSize, learningRate, momentum, weightDecay, generator),
        MlpEngine.Autograd => new AutogradMlp(sizes, learningRate, momentum, weightDecay, generator),
        _ => throw new ArgumentOutOfRangeException(nameof(engine), engine, "Unknown engine."),
    };
}
