using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMnist.Trainers;

namespace MlNetMnist.Tests.Trainers.Mlp;

/// <summary>Fit rejects bad input with an ML.NET-style error that names the column at fault.</summary>
[TestClass]
public sealed class MlpSchemaErrorTests
{
    sealed class Good
    {
        [KeyType(3)] public uint Label { get; set; }
        [VectorType(4)] public float[] Features { get; set; } = [];
    }

    sealed class ByteFeatures
    {
        [KeyType(3)] public uint Label { get; set; }
        [VectorType(4)] public byte[] Features { get; set; } = [];
    }

    sealed class VariableFeatures
    {
        [KeyType(3)] public uint Label { get; set; }
        public float[] Features { get; set; } = [];
    }

    sealed class TextLabel
    {
        public string Label { get; set; } = "";
        [VectorType(4)] public float[] Features { get; set; } = [];
    }

    sealed class FloatLabel
    {
        public float Label { get; set; }
        [VectorType(4)] public float[] Features { get; set; } = [];
    }

    static readonly MLContext Ml = new(seed: 1);

    static MlpTrainer Trainer() => Ml.MulticlassClassification.Trainers.Mlp(new MlpOptions { Epochs = 1, BatchSize = 2, HiddenLayers = [3] });

    static Good Row(uint label, params float[] features) => new() { Label = label, Features = features };

    static void AssertFitFails<TException>(IDataView data, params string[] messageParts) where TException : Exception
    {
        var e = Assert.ThrowsExactly<TException>(() => Trainer().Fit(data));
        foreach (string part in messageParts)
            StringAssert.Contains(e.Message, part);
    }

    [TestMethod]
    public void Fit_MissingFeatureColumn_NamesIt()
    {
        var data = Ml.Data.LoadFromEnumerable([Row(0, 1, 2, 3, 4)]);
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            Ml.MulticlassClassification.Trainers.Mlp(new MlpOptions { FeatureColumnName = "Pixels" }).Fit(data));
        StringAssert.Contains(e.Message, "Pixels");
    }

    [TestMethod]
    public void Fit_MissingLabelColumn_NamesIt()
    {
        var data = Ml.Data.LoadFromEnumerable([Row(0, 1, 2, 3, 4)]);
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            Ml.MulticlassClassification.Trainers.Mlp(new MlpOptions { LabelColumnName = "Digit" }).Fit(data));
        StringAssert.Contains(e.Message, "Digit");
    }

    [TestMethod]
    public void Fit_ByteFeatureVector_IsASchemaMismatchNamingTheColumn() =>
        AssertFitFails<ArgumentOutOfRangeException>(
            Ml.Data.LoadFromEnumerable([new ByteFeatures { Label = 0, Features = [1, 2, 3, 4] }]), "Features", "Byte");

    [TestMethod]
    public void Fit_VariableSizeFeatureVector_IsASchemaMismatchNamingTheColumn() =>
        AssertFitFails<ArgumentOutOfRangeException>(
            Ml.Data.LoadFromEnumerable([new VariableFeatures { Label = 0, Features = [1, 2, 3, 4] }]), "Features");

    [TestMethod]
    public void Fit_TextLabel_IsASchemaMismatchNamingTheColumn() =>
        AssertFitFails<ArgumentOutOfRangeException>(
            Ml.Data.LoadFromEnumerable([new TextLabel { Label = "a", Features = [1, 2, 3, 4] }]), "Label", "String");

    [TestMethod]
    public void Fit_FloatLabel_IsASchemaMismatchNamingTheColumn() =>
        AssertFitFails<ArgumentOutOfRangeException>(
            Ml.Data.LoadFromEnumerable([new FloatLabel { Label = 1, Features = [1, 2, 3, 4] }]), "Label", "Single");

    [TestMethod]
    public void Fit_NaNFeature_NamesTheColumnAndRow() =>
        AssertFitFails<InvalidDataException>(
            Ml.Data.LoadFromEnumerable([Row(0, 1, 2, 3, 4), Row(1, 1, float.NaN, 3, 4)]), "Feature column 'Features' holds NaN at row 1, slot 1: features must be finite.");

    [TestMethod]
    public void Fit_InfiniteFeature_NamesTheColumn() =>
        AssertFitFails<InvalidDataException>(
            Ml.Data.LoadFromEnumerable([Row(0, 1, 2, float.PositiveInfinity, 4), Row(1, 1, 2, 3, 4)]), "Feature column 'Features' holds Infinity at row 0, slot 2");

    [TestMethod]
    public void Fit_LabelBeyondTheKeyCount_NamesTheColumn() =>
        // Written as 0-based 5 into a key type of count 3: ML.NET stores it as missing (raw 0).
        AssertFitFails<InvalidDataException>(Ml.Data.LoadFromEnumerable([Row(0, 1, 2, 3, 4), Row(5, 1, 2, 3, 4)]),
            "Label column 'Label' has a missing key at row 1.");
}
