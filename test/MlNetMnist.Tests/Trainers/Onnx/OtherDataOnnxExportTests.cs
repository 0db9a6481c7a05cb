using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MlNetMnist.Host.Onnx;
using MlNetMnist.Trainers.Onnx;
using MlNetMnist.Trainers;

namespace MlNetMnist.Tests.Trainers.Onnx;

/// <summary>Any known-size float Features and any key label export, not only MNIST: 64 features, 3 named classes.</summary>
[TestClass]
public sealed class OtherDataOnnxExportTests
{
    const int Classes = 3, FeatureCount = 64;
    static readonly string[] Names = ["setosa", "versicolor", "virginica"];

    sealed class Flower
    {
        public string Species { get; set; } = "";
        [VectorType(FeatureCount)] public float[] Features { get; set; } = [];
    }

    sealed class KeyedPoint
    {
        [KeyType(Classes)] public uint Label { get; set; }
        [VectorType(FeatureCount)] public float[] Features { get; set; } = [];
    }

    static Flower[] Flowers(int rows, int seed)
    {
        var centres = new Random(7);
        var means = Names.Select(_ => Enumerable.Range(0, FeatureCount).Select(_ => (float)(centres.NextDouble() * 2 - 1)).ToArray()).ToArray();
        var random = new Random(seed);
        return Enumerable.Range(0, rows).Select(i => new Flower
        {
            Species = Names[i % Classes],
            Features = means[i % Classes].Select(m => m + (float)(random.NextDouble() - 0.5)).ToArray(),
        }).ToArray();
    }

    static readonly MlpOptions Options = new() { HiddenLayers = [16, 8], Epochs = 5, BatchSize = 32, LearningRate = 0.1f };

    [TestMethod]
    public void KeyLabelWithNames_ExportsAndAgrees_ThroughInferenceSession()
    {
        var ml = new MLContext(seed: 1);
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label", "Species").Fit(ml.Data.LoadFromEnumerable(Flowers(600, 1)));
        var train = keyed.Transform(ml.Data.LoadFromEnumerable(Flowers(600, 1)));
        var test = keyed.Transform(ml.Data.LoadFromEnumerable(Flowers(300, 2)));
        var model = ml.MulticlassClassification.Trainers.Mlp(Options)
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedSpecies", "PredictedLabel")).Fit(train);
        using var dir = TestData.TempDirectory();
        string path = dir.File("flowers.onnx");
        using (var stream = File.Create(path))
            OnnxExport.Export(ml, model, train.Schema, stream);

        var expected = Scores.Of(model.Transform(test), "PredictedLabel", "Score", "PredictedSpecies");
        using var session = new InferenceSession(path);
        CollectionAssert.AreEqual(new[] { "Features" }, session.InputMetadata.Keys.ToArray()); // not Label, not Species
        var features = ml.Data.CreateEnumerable<Flower>(test, reuseRowObject: false).SelectMany(f => f.Features).ToArray();
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("Features", new DenseTensor<float>(features, [300, FeatureCount]))],
            ["PredictedLabel.output", "Score.output", "PredictedSpecies.output"]);
        expected.AssertSame(results[0].AsTensor<uint>().ToArray(), results[1].AsTensor<float>().ToArray(), results[2].AsTensor<string>().ToArray());
        CollectionAssert.AreEquivalent(Names, expected.Digits.Distinct().ToArray()); // the model does predict every class
    }

    [TestMethod]
    public void NonFiniteFeatures_GiveTheMissingKey_AsInMlNet()
    {
        var ml = new MLContext(seed: 1);
        var points = Flowers(300, 1).Select((f, i) => new KeyedPoint { Label = (uint)(i % Classes), Features = f.Features }).ToArray();
        var model = ml.MulticlassClassification.Trainers.Mlp(Options).Fit(ml.Data.LoadFromEnumerable(points));
        points[0].Features[5] = float.NaN;
        points[1].Features[0] = float.PositiveInfinity;
        points[2].Features[63] = float.NegativeInfinity;
        var data = ml.Data.LoadFromEnumerable(points);
        using var dir = TestData.TempDirectory();
        string path = dir.File("points.onnx");
        using (var stream = File.Create(path))
            OnnxExport.Export(ml, model, data.Schema, stream);

        var expected = model.Transform(data).GetColumn<uint>("PredictedLabel").ToArray();
        var actual = ml.Transforms.ApplyOnnxModel(path).Fit(data).Transform(data)
            .GetColumn<VBuffer<uint>>("PredictedLabel").Select(v => v.GetItemOrDefault(0)).ToArray();
        CollectionAssert.AreEqual(new uint[] { 0, 0, 0 }, expected[..3], "ML.NET: a non-finite feature gives key 0");
        CollectionAssert.AreEqual(expected, actual);
    }

    [TestMethod]
    public void KeyLabelMadeInsideThePipeline_ExportsWithTheLabelAsInput_AndAgrees()
    {
        var ml = new MLContext(seed: 1);
        var train = ml.Data.LoadFromEnumerable(Flowers(600, 1));
        var test = ml.Data.LoadFromEnumerable(Flowers(300, 2));
        var model = ml.Transforms.Conversion.MapValueToKey("Label", "Species")
            .Append(ml.MulticlassClassification.Trainers.Mlp(Options))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedSpecies", "PredictedLabel")).Fit(train);
        using var dir = TestData.TempDirectory();
        string path = dir.File("flowers.onnx");
        using (var stream = File.Create(path))
            OnnxExport.Export(ml, model, train.Schema, stream);

        using (var session = new InferenceSession(path))
            CollectionAssert.AreEquivalent(new[] { "Species", "Features" }, session.InputMetadata.Keys.ToArray());
        var expected = Scores.Of(model.Transform(test), "PredictedLabel", "Score", "PredictedSpecies");
        var actual = Scores.Of(ml.Transforms.ApplyOnnxModel(path).Fit(test).Transform(test), "PredictedLabel", "Score", "PredictedSpecies");
        expected.AssertSame(actual.Labels, actual.Probabilities, actual.Digits);
    }

    [TestMethod]
    public void KeyLabelWithoutNames_ExportsPredictedLabelAsRawKey()
    {
        var ml = new MLContext(seed: 1);
        var points = Flowers(600, 1).Select((f, i) => new KeyedPoint { Label = (uint)(i % Classes), Features = f.Features });
        var data = ml.Data.LoadFromEnumerable(points);
        var model = ml.MulticlassClassification.Trainers.Mlp(Options).Fit(data);
        using var dir = TestData.TempDirectory();
        string path = dir.File("points.onnx");
        using (var stream = File.Create(path))
            OnnxExport.Export(ml, model, data.Schema, stream);

        var scored = ml.Transforms.ApplyOnnxModel(path).Fit(data).Transform(data);
        var expected = model.Transform(data).GetColumn<uint>("PredictedLabel").ToArray();
        var actual = scored.GetColumn<VBuffer<uint>>("PredictedLabel").Select(v => v.GetItemOrDefault(0)).ToArray();
        CollectionAssert.AreEqual(expected, actual);
        CollectionAssert.AreEquivalent(new uint[] { 1, 2, 3 }, actual.Distinct().ToArray()); // raw keys 1..3: 0 would mean missing
    }
}
