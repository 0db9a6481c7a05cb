using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMnist.DataViews;
using MlNetMnist.Tests.DataViews.Transforms;
using MlNetMnist.Trainers;
using MlNetMnist.Trainers.Learning;

namespace MlNetMnist.Tests.Trainers.Mlp;

/// <summary>ARCHITECTURE.md's "What a user writes", on real MNIST: train once, then check every public path.</summary>
[TestClass]
public sealed class MnistPipelineTests
{
    static MLContext _ml = null!;
    static MnistSplits _data = null!;
    static ITransformer _model = null!;
    static List<TrainingProgress> _progress = null!;
    static TempDirectory _dir = null!;
    static string _zip = null!;

    [ClassInitialize]
    public static void TrainTheLessonModel(TestContext _)
    {
        _ml = new MLContext(seed: 1);
        MnistFiles files = MnistFiles.EnsureAsync().GetAwaiter().GetResult();
        _data = _ml.Data.LoadMnist(files);
        _progress = [];
        var pipeline = _ml.Transforms.ScalePixels("Features", "Pixels")
            .Append(_ml.MulticlassClassification.Trainers.Mlp(new MlpOptions
            {
                HiddenLayers = [50], Epochs = 3, BatchSize = 50, LearningRate = 0.5f,
                ValidationData = _ml.Transforms.ScalePixels("Features", "Pixels").Fit(_data.Valid).Transform(_data.Valid),
                Progress = new SyncProgress<TrainingProgress>(_progress.Add),
            }))
            .Append(_ml.Transforms.Conversion.MapKeyToValue("PredictedDigit", "PredictedLabel"));
        _model = pipeline.Fit(_data.Train);
        _dir = TestData.TempDirectory();
        _zip = _dir.File("mnist-mlp.zip");
        _ml.Model.Save(_model, _data.Train.Schema, _zip);
    }

    [ClassCleanup]
    public static void Cleanup() => _dir?.Dispose();

    static MlpModelParameters Mlp => ((IEnumerable<ITransformer>)_model).OfType<MulticlassPredictionTransformer<MlpModelParameters>>().Single().Model;

    [TestMethod]
    public void Evaluate_OnTest_ReachesTheLessonsAccuracy()
    {
        var metrics = _ml.MulticlassClassification.Evaluate(_model.Transform(_data.Test));
        Console.WriteLine($"test micro accuracy {metrics.MicroAccuracy:F4}, macro {metrics.MacroAccuracy:F4}, log-loss {metrics.LogLoss:F4}");
        Assert.IsGreaterThanOrEqualTo(0.96, metrics.MicroAccuracy);
    }

    [TestMethod]
    public void History_HasEveryEpoch_WithValidationAccuracyOfTheLesson()
    {
        var history = Mlp.Training.History;
        foreach (var e in history) Console.WriteLine(e);
        Assert.AreEqual(3, history.Count);
        Assert.IsTrue(history[^1].TrainLoss < history[0].TrainLoss);
        Assert.IsGreaterThanOrEqualTo(0.96, history[^1].ValidMetric!.Value);
        Assert.AreEqual(3, _progress.Count(p => p.EpochEnd is not null));
        Assert.AreEqual(3 * 1000, _progress.Count(p => p.EpochEnd is null));
        CollectionAssert.AreEqual(new[] { 784, 50, 10 }, Mlp.Network.LayerSizes.ToArray());
        Assert.AreEqual(784L * 50 + 50 + 50 * 10 + 10, Mlp.Network.ParameterCount);
    }

    [TestMethod]
    public void Score_IsAProbabilityVector_AndPredictedLabelCarriesTheDigitKeyValues()
    {
        var scored = _model.Transform(_data.Test);
        VBuffer<ReadOnlyMemory<char>> keyValues = default;
        scored.Schema["PredictedLabel"].GetKeyValues(ref keyValues);
        Assert.AreEqual("7", keyValues.GetValues()[7].ToString());
        var scores = scored.GetColumn<float[]>("Score").Take(20).ToList();
        foreach (var s in scores)
        {
            Assert.AreEqual(10, s.Length);
            Assert.AreEqual(1.0, s.Sum(), 1e-5);
        }
    }

    [TestMethod]
    public void PredictionEngine_FromTheLoadedZip_PredictsTheDigit()
    {
        var loaded = _ml.Model.Load(_zip, out _);
        var engine = _ml.Model.CreatePredictionEngine<Digit, DigitPrediction>(loaded);
        var digits = _ml.Data.CreateEnumerable<Digit>(_data.Test, reuseRowObject: false).Take(10).ToList();
        // t10k starts 7 2 1 0 4 1 4 9 5 9; the model gets at least the first five right.
        var predicted = digits.Select(d => engine.Predict(d).PredictedDigit).ToList();
        Console.WriteLine(string.Join(" ", predicted));
        CollectionAssert.AreEqual(new[] { "7", "2", "1", "0", "4" }, predicted.Take(5).ToList());
        Assert.AreEqual(10, engine.Predict(digits[0]).Score.Length);
    }

    [TestMethod]
    public void SavedZip_LoadsInAFreshProcess_WithBitIdenticalScores()
    {
        var rows = _ml.Data.TakeRows(_data.Test, 1000);
        var (exitCode, error, output) = ModelProbe.Score(_ml, _zip, rows, _dir);
        Assert.AreEqual(0, exitCode, error);
        var expected = _model.Transform(rows).GetColumn<float[]>("Score").SelectMany(s => s).Select(BitConverter.SingleToInt32Bits).ToArray();
        var actual = output!.GetColumn<float[]>("Score").SelectMany(s => s).Select(BitConverter.SingleToInt32Bits).ToArray();
        Assert.AreEqual(10_000, expected.Length);
        CollectionAssert.AreEqual(expected, actual);
        CollectionAssert.AreEqual(
            _model.Transform(rows).GetColumn<string>("PredictedDigit").ToArray(),
            output.GetColumn<string>("PredictedDigit").ToArray());
    }

    [TestMethod]
    public void ZipFromANewerFormat_RaisesAClearError()
    {
        string copy = _dir.File("newer.zip");
        File.Copy(_zip, copy, overwrite: true);
        ZipEdits.BumpReadableVersion(copy, "MNISTMLP");
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => _ml.Model.Load(copy, out _));
        StringAssert.Contains(Innermost(e).Message, "cannont read component 'MlNetMnistMlpModel' of the model, because the model is too new."); // sic
    }

    static IEnumerable<Exception> Causes(Exception? e)
    {
        for (; e is not null; e = e.InnerException) yield return e;
    }

    static Exception Innermost(Exception e) => Causes(e).Last();

    [TestMethod]
    public void TruncatedZip_RaisesAClearError()
    {
        string copy = _dir.File("truncated.zip");
        byte[] bytes = File.ReadAllBytes(_zip);
        File.WriteAllBytes(copy, bytes[..(bytes.Length / 2)]);
        var e = Assert.ThrowsExactly<FormatException>(() => _ml.Model.Load(copy, out _));
        Assert.AreEqual("End of Central Directory record could not be found.", Innermost(e).Message);
    }

    /// <summary>
    /// Damage inside the MLP's own entry (the zip stays valid), so that its reader's checks run rather than the zip's:
    /// the payload is sizeof(float), the layer count 3, sizes 784 50 10, the weights, then the training info as JSON.
    /// </summary>
    [TestMethod]
    [DataRow("count", "1 layer sizes is not a valid MLP shape.")]
    [DataRow("hidden-huge", "layer 0 of 784 x 16777216 holds more weights than an array can.")]
    [DataRow("hidden-larger", "the weights end early (truncated model)")]
    [DataRow("nan-weight", "Layer 0 holds NaN or infinite parameters")]
    [DataRow("json", "is damaged: The JSON value could not be converted to MlNetMnist.Trainers.MlpTrainingInfo.")]
    [DataRow("unsealed-weight", "is damaged: its SHA-256 does not match the one saved with it (the file changed after it was saved).")]
    public void DamagedMlpPayload_RaisesTheModelsOwnError(string damage, string message)
    {
        var (name, bytes, _) = ModelZip.ReadMlpEntry(_zip);
        // The payload starts with the layer count and sizes; the int before it is its length.
        int at = bytes.AsSpan().IndexOf(new[] { 3, 784, 50, 10 }.SelectMany(BitConverter.GetBytes).ToArray());
        Assert.IsGreaterThan(0, at, "the payload's start");
        int json = bytes.AsSpan().IndexOf("{\"HiddenLayers\""u8);
        switch (damage)
        {
            case "count": BitConverter.GetBytes(1).CopyTo(bytes, at); break;
            case "hidden-huge": BitConverter.GetBytes(1 << 24).CopyTo(bytes, at + 8); break;
            case "hidden-larger": BitConverter.GetBytes(1000).CopyTo(bytes, at + 8); break;
            case "nan-weight": BitConverter.GetBytes(float.NaN).CopyTo(bytes, at + 16); break;
            case "json": bytes[json] = (byte)'['; break;
        }
        if (damage != "unsealed-weight") ModelZip.Reseal(bytes, at);
        else bytes[at + 16] ^= 1; // one bit of a weight, the checksum left as saved
        string copy = _dir.File($"payload-{damage}.zip");
        ModelZip.WriteWithEntry(_zip, copy, name, bytes);
        var e = Assert.ThrowsExactly<System.Reflection.TargetInvocationException>(() => _ml.Model.Load(copy, out _)); // ML.NET's wrapping
        var cause = Causes(e).OfType<InvalidDataException>().FirstOrDefault();
        Assert.IsNotNull(cause, e.ToString());
        StringAssert.StartsWith(cause.Message, "MLP model in the model zip");
        StringAssert.Contains(cause.Message, message);
    }

    [TestMethod]
    public void ConcurrentPredictionEngines_AgreeWithTransform()
    {
        var digits = _ml.Data.CreateEnumerable<Digit>(_data.Test, reuseRowObject: false).Take(400).ToArray();
        var expected = _model.Transform(_data.Test).GetColumn<string>("PredictedDigit").Take(400).ToArray();
        var actual = new string[digits.Length];
        Parallel.For(0, 4, worker =>
        {
            var engine = _ml.Model.CreatePredictionEngine<Digit, DigitPrediction>(_model);
            for (int i = worker; i < digits.Length; i += 4) actual[i] = engine.Predict(digits[i]).PredictedDigit;
        });
        CollectionAssert.AreEqual(expected, actual);
    }
}
