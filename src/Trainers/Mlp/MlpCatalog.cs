using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetMnist.Trainers;

/// <summary>The entry points users see: <c>ml.MulticlassClassification.Trainers.Mlp(...)</c>, and the same for BinaryClassification and Regression.</summary>
public static class MlpCatalog
{
    /// <summary>A multi-layer perceptron regression: one output, squared error (or Huber) on the standardised label.</summary>
    public static MlpRegressionTrainer Mlp(this RegressionCatalog.RegressionTrainers catalog, MlpOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new MlpRegressionTrainer(catalog.GetEnvironment(), options);
    }

    /// <summary>A multi-layer perceptron binary classifier: one logit, log-loss; Score, Probability and PredictedLabel as ML.NET's calibrated trainers.</summary>
    public static MlpBinaryTrainer Mlp(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog, MlpOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new MlpBinaryTrainer(catalog.GetEnvironment(), options);
    }

    /// <summary>A multi-layer perceptron trained by minibatch SGD on cross-entropy.</summary>
    public static MlpTrainer Mlp(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog, MlpOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return new MlpTrainer(catalog.GetEnvironment(), options);
    }

    /// <summary>A multi-layer perceptron with the common options; the rest take <see cref="MlpOptions"/>' defaults.</summary>
    /// <param name="catalog">The multiclass trainers catalog.</param>
    /// <param name="labelColumnName">Key or integer label column.</param>
    /// <param name="featureColumnName">Known-size float vector column.</param>
    /// <param name="hiddenLayers">Hidden layer sizes (default: one layer of 50).</param>
    /// <param name="epochs">Passes over the data.</param>
    /// <param name="batchSize">Rows per minibatch.</param>
    /// <param name="learningRate">SGD step size.</param>
    public static MlpTrainer Mlp(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = DefaultColumnNames.Label,
        string featureColumnName = DefaultColumnNames.Features,
        int[]? hiddenLayers = null,
        int epochs = 3,
        int batchSize = 50,
        float learningRate = 0.5f)
        => catalog.Mlp(new MlpOptions
        {
            LabelColumnName = labelColumnName,
            FeatureColumnName = featureColumnName,
            HiddenLayers = hiddenLayers ?? [50],
            Epochs = epochs,
            BatchSize = batchSize,
            LearningRate = learningRate,
        });
}
