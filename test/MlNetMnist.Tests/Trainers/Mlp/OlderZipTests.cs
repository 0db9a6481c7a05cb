using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMnist.DataViews;
using MlNetMnist.Trainers;

namespace MlNetMnist.Tests.Trainers.Mlp;

/// <summary>Model zips written by earlier builds keep loading and scoring.</summary>
[TestClass]
public sealed class OlderZipTests
{
    [TestMethod]
    public void ZipOfTheRetiredFusedEngine_Format0x00010001_LoadsAndScoresAsWhenSaved()
    {
        // Written by commit cdf05d4 (QuickStart with HiddenLayers [8], 2 epochs, Engine = MlpEngine.Fused, Seed 3, on the
        // first 3,000 training rows); it printed test accuracy 0.6395.
        var ml = new MLContext(seed: 1);
        var model = ml.Model.Load(Path.Combine(AppContext.BaseDirectory, "Fixtures", "fused-engine-format-0x00010001.zip"), out _);
        var mlp = ((IEnumerable<ITransformer>)model).OfType<MulticlassPredictionTransformer<MlpModelParameters>>().Single().Model;
        Assert.AreEqual("Fused", mlp.Training.Engine);
        CollectionAssert.AreEqual(new[] { 784, 8, 10 }, mlp.Network.LayerSizes.ToArray());
        var accuracy = ml.MulticlassClassification.Evaluate(model.Transform(TestData.Splits(ml).Test)).MicroAccuracy;
        Assert.AreEqual(0.6395, accuracy, 1e-9);
    }

    [TestMethod]
    [DataRow("0", "Fused")]
    [DataRow("1", "Autograd")]
    [DataRow("2", "Managed")]
    [DataRow("\"Managed\"", "Managed")]
    public void TrainingInfo_ReadsTheEngineAsTheFirstBuildsStoredIt(string stored, string name)
    {
        // The first builds of format 0x00010001 stored the engine as the enum's number.
        var info = new MlpTrainingInfo([50], 3, 50, 0.5f, 1, true, 100, []) { Engine = "Managed" };
        string json = JsonSerializer.Serialize(info).Replace("\"Engine\":\"Managed\"", $"\"Engine\":{stored}");
        Assert.AreEqual(name, JsonSerializer.Deserialize<MlpTrainingInfo>(json)!.Engine);
    }
}
