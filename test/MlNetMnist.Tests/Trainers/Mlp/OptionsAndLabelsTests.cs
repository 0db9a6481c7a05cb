using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMnist.Trainers;
using MlNetMnist.Trainers.Engines;

namespace MlNetMnist.Tests.Trainers.Mlp;

/// <summary>Options and labels are checked where users set them, each error naming the option or column and the value.</summary>
[TestClass]
public sealed class OptionsAndLabelsTests
{
    static readonly MLContext Ml = new(seed: 1);

    public sealed class Row<T>
    {
        public T Label { get; set; } = default!;
        [VectorType(2)] public float[] Features { get; set; } = [];
    }

    static IDataView Rows<T>(params T[] labels) =>
        Ml.Data.LoadFromEnumerable(labels.Select((label, i) => new Row<T> { Label = label, Features = [i % 3, 1 - i % 2] }));

    static MlpOptions Small() => new() { Epochs = 1, BatchSize = 2, HiddenLayers = [3] };

    [TestMethod]
    [DataRow("HiddenLayers", "null")]
    [DataRow("HiddenLayers", "[]")]
    public void Validate_NoHiddenLayers_NamesTheOption(string option, string shown)
    {
        var options = new MlpOptions { HiddenLayers = shown == "null" ? null! : [] };
        var e = Assert.ThrowsExactly<ArgumentException>(() => Ml.MulticlassClassification.Trainers.Mlp(options));
        Assert.AreEqual(option, e.ParamName);
        StringAssert.StartsWith(e.Message, $"HiddenLayers must hold at least one size, got {shown}.");
    }

    public static IEnumerable<object[]> BadOptions =>
    [
        [new MlpOptions { HiddenLayers = [100, 0] }, "HiddenLayers", "HiddenLayers[1] is 0; every hidden layer needs a positive size."],
        [new MlpOptions { HiddenLayers = [-5] }, "HiddenLayers", "HiddenLayers[0] is -5; every hidden layer needs a positive size."],
        [new MlpOptions { Epochs = 0 }, "Epochs", "Epochs must be at least 1, got 0."],
        [new MlpOptions { Epochs = -1 }, "Epochs", "Epochs must be at least 1, got -1."],
        [new MlpOptions { BatchSize = 0 }, "BatchSize", "BatchSize must be at least 1, got 0."],
        [new MlpOptions { LearningRate = 0 }, "LearningRate", "LearningRate must be a positive number, got 0."],
        [new MlpOptions { LearningRate = -0.5f }, "LearningRate", "LearningRate must be a positive number, got -0.5."],
        [new MlpOptions { LearningRate = float.NaN }, "LearningRate", "LearningRate must be a positive number, got NaN."],
        [new MlpOptions { LearningRate = float.PositiveInfinity }, "LearningRate", "LearningRate must be a positive number, got Infinity."],
        [new MlpOptions { Optimizer = MlpOptimizer.Sgd(momentum: 1) }, "Momentum", "Optimizer Momentum must be in [0, 1), got 1."],
        [new MlpOptions { Optimizer = MlpOptimizer.Sgd(momentum: -0.1f) }, "Momentum", "Optimizer Momentum must be in [0, 1), got -0.1."],
        [new MlpOptions { Optimizer = MlpOptimizer.Sgd(weightDecay: -1) }, "WeightDecay", "Optimizer WeightDecay must be a number >= 0, got -1."],
        [new MlpOptions { Optimizer = MlpOptimizer.Sgd(weightDecay: float.NaN) }, "WeightDecay", "Optimizer WeightDecay must be a number >= 0, got NaN."],
        [new MlpOptions { NumWorkers = -1 }, "NumWorkers", "NumWorkers must be at least 0, got -1."],
    ];

    [TestMethod]
    [DynamicData(nameof(BadOptions))]
    public void Validate_BadValue_NamesTheOptionAndTheValue(MlpOptions options, string option, string message)
    {
        var culture = Thread.CurrentThread.CurrentCulture;
        Thread.CurrentThread.CurrentCulture = new System.Globalization.CultureInfo("de-DE"); // "-0,5" would be wrong
        try
        {
            var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Ml.MulticlassClassification.Trainers.Mlp(options));
            Assert.AreEqual(option, e.ParamName);
            Assert.AreEqual(message, e.Message.Split('\n')[0].Replace($" (Parameter '{option}')", ""));
        }
        finally
        {
            Thread.CurrentThread.CurrentCulture = culture;
        }
    }

    [TestMethod]
    public void Validate_RunsAgainAtFit_WhenTheOptionsChangedAfterwards()
    {
        var options = Small();
        var trainer = Ml.MulticlassClassification.Trainers.Mlp(options);
        options.Epochs = 0;
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => trainer.Fit(Rows(0, 1, 0, 1)));
        StringAssert.StartsWith(e.Message, "Epochs must be at least 1, got 0.");
    }

    static void AssertTrains<T>(params T[] labels)
    {
        var model = Ml.MulticlassClassification.Trainers.Mlp(Small()).Fit(Rows(labels));
        Assert.AreEqual(3, model.Model.Network.ClassCount, typeof(T).Name);
    }

    [TestMethod]
    public void IntegerLabels_OfEveryWidth_Train()
    {
        AssertTrains<byte>(0, 1, 2, 1);
        AssertTrains<sbyte>(0, 1, 2, 1);
        AssertTrains<short>(0, 1, 2, 1);
        AssertTrains<ushort>(0, 1, 2, 1);
        AssertTrains(0, 1, 2, 1);
        AssertTrains<uint>(0, 1, 2, 1);
        AssertTrains<long>(0, 1, 2, 1);
        AssertTrains<ulong>(0, 1, 2, 1);
    }

    static void AssertFails<TException, T>(T[] labels, string message) where TException : Exception
    {
        var e = Assert.ThrowsExactly<TException>(() => Ml.MulticlassClassification.Trainers.Mlp(Small()).Fit(Rows(labels)));
        StringAssert.StartsWith(e.Message, message);
    }

    [TestMethod]
    public void Int64Label_BeyondAnInt_NamesTheColumnTheValueAndTheClassLimit() =>
        AssertFails<InvalidDataException, long>([0, 1, 5_000_000_000],
            "Label column 'Label' holds 5000000000 at row 2: an integer label is a class index, and at most 2147483647 classes (0 to 2147483646) are supported.");

    [TestMethod]
    public void UInt64Label_BeyondALong_NamesTheColumnTheValueAndTheClassLimit() =>
        AssertFails<InvalidDataException, ulong>([0, 1, ulong.MaxValue],
            "Label column 'Label' holds 18446744073709551615 at row 2: an integer label is a class index, and at most 2147483647 classes");

    [TestMethod]
    public void Int64Label_NegativeNamesTheRow() =>
        AssertFails<InvalidDataException, long>([0, -3, 1], "Label column 'Label' holds -3 at row 1: class indices start at 0.");

    [TestMethod]
    public void IntegerLabel_MakingMoreClassesThanTheMlpTakes_NamesBothCounts() =>
        AssertFails<InvalidOperationException, int>([0, 1, 100_000],
            "Label column 'Label' makes 100001 classes (its key count, or the largest integer label + 1); the MLP takes at most 65536.");
}
