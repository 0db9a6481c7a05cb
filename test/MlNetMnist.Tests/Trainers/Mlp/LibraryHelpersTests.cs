using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMnist.Trainers;
using MlNetMnist.Trainers.Engines;
using MlNetMnist.Trainers.Engines.Autograd;
using MlNetMnist.Trainers.Engines.Managed;
using MlNetMnist.Trainers.Learning;
using MlNetMnist.Trainers.Learning.Schedules;

namespace MlNetMnist.Tests.Trainers.Mlp;

/// <summary>What a library user needs beside the trainer: engines by name, the MLP in a pipeline, a model's recipe to continue.</summary>
[TestClass]
public sealed class LibraryHelpersTests
{
    sealed class Row
    {
        [KeyType(3)] public uint Label { get; set; }
        [VectorType(4)] public float[] Features { get; set; } = [];
    }

    static IDataView Rows(MLContext ml) => ml.Data.LoadFromEnumerable(Enumerable.Range(0, 60).Select(i => new Row
    {
        Label = (uint)(i % 3), Features = [i % 3, 1 - i % 3, (i % 7) / 7f, 0.5f],
    }));

    [TestMethod]
    public void MlpEngines_FindsEveryEngineByItsStoredName_InAnyCase()
    {
        Assert.AreSame(ManagedEngine.Instance, MlpEngines.Find("managed"));
        Assert.AreSame(AutogradEngine.Instance, MlpEngines.Find("Autograd")); // the add-on, found without a reference from the core
        CollectionAssert.AreEquivalent(new MlpEngine[] { ManagedEngine.Instance, AutogradEngine.Instance }, MlpEngines.Available.ToArray());
        var e = Assert.ThrowsExactly<ArgumentException>(() => MlpEngines.Find("Fused"));
        StringAssert.Contains(e.Message, "'Fused'");
        StringAssert.Contains(e.Message, "Managed, Autograd");
    }

    [TestMethod]
    public void FindMlp_FindsTheModelInAChain_AndNothingWhereThereIsNone()
    {
        var ml = new MLContext(seed: 1);
        var data = Rows(ml);
        var model = ml.Transforms.NormalizeMinMax("Features")
            .Append(ml.MulticlassClassification.Trainers.Mlp(new MlpOptions { HiddenLayers = [5], Epochs = 1 }))
            .Append(ml.Transforms.CopyColumns("Answer", "PredictedLabel"))
            .Fit(data);
        var mlp = model.FindMlp();
        Assert.IsNotNull(mlp);
        CollectionAssert.AreEqual(new[] { 4, 5, 3 }, mlp.Network.LayerSizes.ToArray());
        Assert.IsNull(ml.Transforms.NormalizeMinMax("Features").Fit(data).FindMlp());
    }

    [TestMethod]
    public void ContinuingFrom_RepeatsTheModelsRecipe_AndContinuesIt()
    {
        var ml = new MLContext(seed: 1);
        var data = Rows(ml);
        var first = new MlpOptions
        {
            HiddenLayers = [6], Epochs = 2, BatchSize = 8, Seed = 5, Shuffle = false, Optimizer = MlpOptimizer.AdamW(weightDecay: 0.02f),
            LearningRate = 0.004f, Schedule = new CosineSchedule(1e-5), EarlyStopping = new EarlyStoppingOptions { Patience = 4, HoldOutFraction = 0.2 },
        };
        var model = ml.MulticlassClassification.Trainers.Mlp(first).Fit(data).Model;
        var options = MlpOptions.ContinuingFrom(model);
        CollectionAssert.AreEqual(first.HiddenLayers, options.HiddenLayers);
        Assert.AreEqual((first.Epochs, first.BatchSize, first.Seed, first.Shuffle, first.LearningRate), (options.Epochs, options.BatchSize, options.Seed, options.Shuffle, options.LearningRate));
        Assert.AreEqual(first.Optimizer, options.Optimizer);
        Assert.AreEqual(first.Schedule, options.Schedule);
        Assert.AreEqual(first.EarlyStopping, options.EarlyStopping);
        Assert.AreSame(ManagedEngine.Instance, options.Engine);
        options.Epochs = 3;
        var more = ml.MulticlassClassification.Trainers.Mlp(options).Fit(data, model).Model;
        Assert.HasCount(3, more.Training.History);
    }
}
