using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMnist.DataViews;
using MlNetMnist.Trainers;

namespace MlNetMnist.Tests.Trainers.Mlp;

/// <summary>
/// ML.NET's PermutationFeatureImportance on the saved and reloaded MNIST pipeline (ScalePixels, Mlp, MapKeyToValue).
/// Both overloads score with the last prediction transformer only, so the data they get must hold the Features column:
/// the pipeline's own output does.
/// </summary>
[TestClass]
public sealed class MnistPfiTests
{
    static MLContext _ml = null!;
    static ITransformer _loaded = null!;
    static IDataView _scored = null!;

    [ClassInitialize]
    public static void TrainSaveAndLoad(TestContext context)
    {
        _ml = new MLContext(seed: 1);
        var data = TestData.Splits(_ml);
        var train = _ml.Data.TakeRows(data.Train, 5000);
        var model = _ml.Transforms.ScalePixels("Features", "Pixels")
            .Append(_ml.MulticlassClassification.Trainers.Mlp(new MlpOptions { Epochs = 1 }))
            .Append(_ml.Transforms.Conversion.MapKeyToValue("PredictedDigit", "PredictedLabel"))
            .Fit(train);
        using var dir = TestData.TempDirectory();
        _ml.Model.Save(model, train.Schema, dir.File("mnist.zip"));
        _loaded = _ml.Model.Load(dir.File("mnist.zip"), out _);
        _scored = _loaded.Transform(_ml.Data.TakeRows(data.Test, 200));
    }

    static readonly string[] Corners = ["r0c0", "r0c27", "r27c0", "r27c27"];

    [TestMethod]
    public void TransformerOverload_NamesEveryPixel_BlankCornersExactlyZero_CentreMatters()
    {
        var pfi = _ml.MulticlassClassification.PermutationFeatureImportance(_loaded, _scored, permutationCount: 1);
        Assert.AreEqual(784, pfi.Count);
        foreach (var corner in Corners)
        {
            Assert.AreEqual(0.0, pfi[corner].MicroAccuracy.Mean, corner);
            Assert.AreEqual(0.0, pfi[corner].LogLoss.Mean, corner);
        }
        double centre = pfi.Where(p => p.Key.StartsWith("r1", StringComparison.Ordinal)).Max(p => Math.Abs(p.Value.LogLoss.Mean));
        Assert.IsTrue(centre > 1e-4, $"the largest log-loss change of rows 10-19 is {centre}");
    }

    [TestMethod]
    public void TypedOverload_OnTheLoadedPredictionTransformer_AgreesOnTheCorners()
    {
        var predictor = ((TransformerChain<ITransformer>)_loaded).OfType<MulticlassPredictionTransformer<MlpModelParameters>>().Single();
        var pfi = _ml.MulticlassClassification.PermutationFeatureImportance(predictor, _scored, permutationCount: 1);
        Assert.AreEqual(784, pfi.Length);
        foreach (int corner in (int[])[0, 27, 756, 783])
            Assert.AreEqual(0.0, pfi[corner].LogLoss.Mean, $"slot {corner}");
        Assert.IsTrue(pfi.Any(p => Math.Abs(p.LogLoss.Mean) > 1e-4));
    }
}
