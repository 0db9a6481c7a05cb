using System.Runtime.InteropServices;
using MlNetMnist.DataViews;
using TorchSharp;
using static TorchSharp.torch;

namespace MlNetMnist.Trainers.Engines.Autograd;

/// <summary>A <see cref="Batch"/>'s pooled buffers as tensors: features [n, f] float32, labels [n] int64.</summary>
public static class BatchTensors
{
    /// <summary>New tensors holding a copy of the batch (owned by the caller's dispose scope).</summary>
    public static (Tensor Features, Tensor Labels) Copy(Batch batch)
    {
        var x = torch.empty([batch.Size, batch.FeatureCount], ScalarType.Float32);
        var y = torch.empty([batch.Size], ScalarType.Int64);
        Fill(batch, x, y);
        return (x, y);
    }

    /// <summary>Copies the batch into the first rows of preallocated contiguous tensors.</summary>
    public static void Fill(Batch batch, Tensor features, Tensor labels)
    {
        batch.CopyFeaturesTo(MemoryMarshal.Cast<byte, float>(features.bytes));
        var target = MemoryMarshal.Cast<byte, long>(labels.bytes);
        var source = batch.Labels.Span;
        for (int i = 0; i < source.Length; i++) target[i] = source[i];
    }
}
