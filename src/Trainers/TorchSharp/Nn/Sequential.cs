using MlNetMnist.Trainers.Models;
using static TorchSharp.torch;

namespace MlNetMnist.Trainers.Nn;

/// <summary>Runs its layers in order; registers them as "0", "1", ... so that Parameters() finds their weights.</summary>
public sealed class Sequential : Module
{
    readonly Module[] _layers;

    public Sequential(params Module[] layers)
    {
        _layers = layers;
        for (int i = 0; i < layers.Length; i++) RegisterModule(i.ToString(), layers[i]);
    }

    public IReadOnlyList<Module> Layers => _layers;

    public override Tensor Forward(Tensor input)
    {
        // Each intermediate is owned by the caller's dispose scope; only the last one is returned.
        Tensor x = input;
        foreach (var layer in _layers) x = layer.Forward(x);
        return x;
    }

    /// <summary>The lesson's model: Linear, ReLU, ..., Linear for sizes [in, hidden..., out].</summary>
    public static Sequential Mlp(IReadOnlyList<int> sizes, Generator? generator = null)
    {
        var layers = new List<Module>();
        for (int i = 0; i + 1 < sizes.Count; i++)
        {
            if (i > 0) layers.Add(new ReLU());
            layers.Add(new Linear(sizes[i], sizes[i + 1], generator));
        }
        return new Sequential([.. layers]);
    }

    /// <summary>The lesson's model starting from <paramref name="network"/>'s weights.</summary>
    public static Sequential Mlp(MlpNetwork network)
    {
        var layers = new List<Module>();
        for (int l = 0; l < network.LayerCount; l++)
        {
            if (l > 0) layers.Add(new ReLU());
            layers.Add(new Linear(network.LayerSizes[l], network.LayerSizes[l + 1], network.GetWeights(l), network.GetBiases(l)));
        }
        return new Sequential([.. layers]);
    }

    /// <summary>The weights of an MLP made by <see cref="Mlp(IReadOnlyList{int}, Generator?)"/> as plain arrays.</summary>
    public MlpNetwork ToNetwork()
    {
        var linears = _layers.OfType<Linear>().ToArray();
        int[] sizes = [linears[0].InFeatures, .. linears.Select(l => l.OutFeatures)];
        return new MlpNetwork(sizes,
            linears.Select(l => l.Weight.data<float>().ToArray()).ToArray(),
            linears.Select(l => l.Bias.data<float>().ToArray()).ToArray());
    }
}
