namespace MlNetMnist.Trainers.Engines;

/// <summary>
/// What an optimizer carries from step to step, engine-neutral, so that training can stop and resume exactly.
/// <see cref="Moments"/> holds, for each parameter in order (layer 0's weight [out x in] row-major, layer 0's bias,
/// layer 1's weight, ...), the optimizer's buffers for it: SGD's momentum buffer, or Adam's exp_avg then exp_avg_sq
/// (<see cref="MlpOptimizer.MomentCount"/> each). Empty when the optimizer holds none yet (plain SGD, or before a
/// first step with momentum).
/// </summary>
/// <param name="Kind">The optimizer the buffers belong to.</param>
/// <param name="Steps">Optimizer steps taken (Adam's bias correction counts them).</param>
/// <param name="Moments">The buffers, as above.</param>
public sealed record MlpOptimizerState(OptimizerKind Kind, long Steps, IReadOnlyList<float[]> Moments)
{
    /// <summary>Buffer <paramref name="moment"/> of parameter <paramref name="parameter"/> (2·layer for a weight, 2·layer+1 for a bias).</summary>
    public float[] Moment(int parameter, int moment, int momentCount) => Moments[parameter * momentCount + moment];

    /// <summary>Throws unless the buffers fit an MLP of <paramref name="sizes"/> stepped by <paramref name="optimizer"/>.</summary>
    public void CheckFits(IReadOnlyList<int> sizes, MlpOptimizer optimizer)
    {
        if (Kind != optimizer.Kind)
            throw new ArgumentException($"The optimizer state is {Kind}'s; the optimizer is {optimizer.Kind}.");
        if (Steps < 0) throw new ArgumentException($"The optimizer state counts {Steps} steps.");
        if (Moments.Count == 0) return;
        int k = optimizer.MomentCount, layers = sizes.Count - 1;
        if (Moments.Count != 2 * layers * k)
            throw new ArgumentException($"The optimizer state holds {Moments.Count} buffers; {layers} layers stepped by {Kind} need {2 * layers * k}.");
        for (int l = 0; l < layers; l++)
            for (int m = 0; m < k; m++)
            {
                if (Moment(2 * l, m, k).Length != sizes[l] * sizes[l + 1] || Moment(2 * l + 1, m, k).Length != sizes[l + 1])
                    throw new ArgumentException($"The optimizer state's buffers of layer {l} do not fit {sizes[l]} inputs and {sizes[l + 1]} outputs.");
            }
    }
}
