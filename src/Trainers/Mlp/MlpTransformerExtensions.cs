using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetMnist.Trainers;

/// <summary>Finding the MLP in a trained or loaded pipeline.</summary>
public static class MlpTransformerExtensions
{
    /// <summary>The model of the last step in <paramref name="model"/> (looking into chains) that predicts with an MLP; null when none does.</summary>
    public static MlpModelParameters? FindMlp(this ITransformer model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Steps(model).OfType<IPredictionTransformer<MlpModelParameters>>().LastOrDefault()?.Model;
    }

    static IEnumerable<ITransformer> Steps(ITransformer model) =>
        model is IEnumerable<ITransformer> chain ? chain.SelectMany(Steps) : [model];
}
