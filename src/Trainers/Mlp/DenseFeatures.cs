using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace MlNetMnist.Trainers;

/// <summary>A row's feature vector as the dense values an MLP's scorer reads, for every task's model parameters.</summary>
internal static class DenseFeatures
{
    /// <summary>The vector's own values when it is dense, else a dense copy.</summary>
    /// <exception cref="InvalidOperationException">The vector's length is not <paramref name="inputSize"/> (through <paramref name="host"/>).</exception>
    public static ReadOnlySpan<float> Of(in VBuffer<float> features, int inputSize, IHost host)
    {
        if (features.Length != inputSize) // not host.Check: its message would be formatted for every row
            throw host.Except($"The MLP expects {inputSize} features, got {features.Length}.");
        if (features.IsDense) return features.GetValues();
        var dense = new float[features.Length];
        features.CopyTo(dense);
        return dense;
    }
}
