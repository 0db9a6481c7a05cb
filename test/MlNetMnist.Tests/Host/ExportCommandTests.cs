using MlNetMnist.Host.Commands;
using MlNetMnist.Host;

namespace MlNetMnist.Tests.Host;

/// <summary>`mlnet-mnist export`, and evaluate/predict reading the .onnx it writes, in-process on real MNIST.</summary>
[TestClass]
public sealed class ExportCommandTests
{
    static TempDirectory _dir = null!;
    static string _model = null!, _data = null!;

    [ClassInitialize]
    public static async Task TrainOnce(TestContext _)
    {
        _dir = TestData.TempDirectory();
        _model = _dir.File("model.zip");
        _data = TestData.MnistFolder;
        await TestCli.TrainOneEpoch(_model);
    }

    [ClassCleanup]
    public static void Cleanup() => _dir?.Dispose();

    [TestMethod]
    public async Task Export_WritesOnnx_ThatEvaluatesAndPredictsAsTheZip()
    {
        string onnx = _dir.File("exported.onnx");
        var (exit, output, error) = await TestCli.Run("export", "--model", _model, "--onnx", onnx);
        Assert.AreEqual(0, exit, error);
        StringAssert.Contains(output, "opset 12");
        StringAssert.Contains(output, "Score.output");
        Assert.IsTrue(File.Exists(onnx));
        Assert.IsEmpty(Directory.GetFiles(_dir.Path, "*.tmp"));

        var zipEval = await TestCli.Run("evaluate", "--model", _model, "--data", _data, "--out", _dir.File("zip.png"));
        var onnxEval = await TestCli.Run("evaluate", "--model", onnx, "--data", _data, "--out", _dir.File("onnx.png"));
        Assert.AreEqual(0, onnxEval.Exit, onnxEval.Err);
        Assert.AreEqual(Tables(zipEval.Out), Tables(onnxEval.Out)); // same metrics and confusion matrix, to the digits printed

        var zipPredict = await TestCli.Run("predict", "--model", _model, "--data", _data, "--index", "7", "--out", _dir.File("d.png"));
        var onnxPredict = await TestCli.Run("predict", "--model", onnx, "--data", _data, "--index", "7", "--out", _dir.File("d.png"));
        Assert.AreEqual(0, onnxPredict.Exit, onnxPredict.Err);
        Assert.AreEqual(zipPredict.Out, onnxPredict.Out);
    }

    /// <summary>The output less its "wrote ..." line, which names a different PNG.</summary>
    static string Tables(string output) => string.Join('\n', output.Split('\n').Where(l => !l.StartsWith("wrote")));

    [TestMethod]
    public async Task Export_DefaultsToTheZipsNameWithOnnxExtension()
    {
        string copy = _dir.File("second.zip");
        File.Copy(_model, copy);
        var (exit, _, error) = await TestCli.Run("export", "--model", copy);
        Assert.AreEqual(0, exit, error);
        Assert.IsTrue(File.Exists(_dir.File("second.onnx")));
    }

    [TestMethod]
    public async Task Export_OfSomethingElse_ExitsWith1_InOneLine()
    {
        string notAModel = _dir.File("not-a-model.zip");
        File.WriteAllText(notAModel, "hello");
        var (exit, _, error) = await TestCli.Run("export", "--model", notAModel, "--onnx", _dir.File("x.onnx"));
        Assert.AreEqual(Cli.Failure, exit);
        StringAssert.StartsWith(error, "mlnet-mnist: Model file");
        Assert.AreEqual(1, error.Trim().Split('\n').Length, error);
        Assert.IsFalse(File.Exists(_dir.File("x.onnx")));
    }
}
