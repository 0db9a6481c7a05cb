using System.Buffers.Binary;
using MlNetMnist.Host.Commands;
using MlNetMnist.Host;

namespace MlNetMnist.Tests.Host;

/// <summary>The `mlnet-mnist` commands, run in-process on real MNIST.</summary>
[TestClass]
public sealed class CliTests
{
    static TempDirectory _dir = null!;
    static string _model = null!;
    static string _trainOutput = null!;

    [ClassInitialize]
    public static async Task TrainOnce(TestContext _)
    {
        _dir = TestData.TempDirectory();
        _model = _dir.File("model.zip");
        _trainOutput = await TestCli.TrainOneEpoch(_model);
    }

    [ClassCleanup]
    public static void Cleanup() => _dir?.Dispose();

    static (int Width, int Height) PngSize(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        CollectionAssert.AreEqual(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8], $"{path} is a PNG");
        Assert.AreEqual("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        return (BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
    }

    [TestMethod]
    public void Train_WritesZipMetricsAndCurves_AndPrintsTheEpochTable()
    {
        Assert.IsTrue(File.Exists(_model));
        string metrics = File.ReadAllText(_dir.File("model.metrics.json"));
        StringAssert.Contains(metrics, "MicroAccuracy");
        StringAssert.Contains(metrics, "\"Engine\": \"Managed\"");
        Assert.AreEqual((800, 700), PngSize(_dir.File("model.curves.png")));
        StringAssert.Contains(_trainOutput, "valid accuracy");
        StringAssert.Contains(_trainOutput, "test accuracy");
        Assert.IsFalse(_trainOutput.Contains('\u001b'), "no escape codes when output is not a terminal");
        Assert.IsFalse(_trainOutput.Contains("batches/s") || _trainOutput.Contains('%'), $"no progress snapshots when output is not a terminal:\n{_trainOutput}");
        Assert.IsEmpty(Directory.GetFiles(_dir.Path, "*.tmp"));
    }

    [TestMethod]
    public async Task Evaluate_PrintsMetricsAndConfusion_AndWritesTheHeatMap()
    {
        string data = TestData.MnistFolder;
        var (exit, output, error) = await TestCli.Run("evaluate", "--model", _model, "--data", data, "--split", "valid");
        Assert.AreEqual(0, exit, error);
        StringAssert.Contains(output, "micro accuracy");
        StringAssert.Contains(output, "true \\ predicted");
        Assert.AreEqual((700, 620), PngSize(_dir.File("model.confusion.png")));
    }

    [TestMethod]
    public async Task PredictIndex_NamesTheDigit_AndWritesItsPng()
    {
        string data = TestData.MnistFolder;
        string png = _dir.File("digit.png");
        var (exit, output, error) = await TestCli.Run("predict", "--model", _model, "--index", "0", "--data", data, "--out", png);
        Assert.AreEqual(0, exit, error);
        StringAssert.StartsWith(output, "7 for test row 0, true digit 7 ");
        StringAssert.Matches(output, new System.Text.RegularExpressions.Regex(@"7\s+█+ (0\.9\d{3}|>0\.9999) "), "the winner's probability, not a bare 1");
        Assert.AreEqual((224, 224), PngSize(png));

        // The digit's own PNG, read back as an image file, is recognised too.
        var (imageExit, imageOutput, imageError) = await TestCli.Run("predict", "--model", _model, png);
        Assert.AreEqual(0, imageExit, imageError);
        StringAssert.StartsWith(imageOutput, "7 for ");
    }

    [TestMethod]
    public async Task Info_PrintsShapeAndHistory()
    {
        var (exit, output, error) = await TestCli.Run("info", "--model", _model);
        Assert.AreEqual(0, exit, error);
        StringAssert.Contains(output, "784 -> 50 -> 10");
        StringAssert.Contains(output, "39,760"); // the CLI prints invariant numbers whatever the culture (Safety/CliContractTests)
        var (_, bytes, at) = ModelZip.ReadMlpEntry(_model);
        StringAssert.Contains(output, $"0x{BitConverter.ToUInt32(bytes, at + 8):X8}", "the version the zip holds");
        StringAssert.Contains(output, "managed");
    }

    [TestMethod]
    [DataRow("train --epochs 0", "--epochs must be at least 1, got 0.")]
    [DataRow("train --epochs many", "--epochs expects a whole number, got 'many'.")]
    [DataRow("train --lr -1", "--lr must be a positive number, got -1.")]
    [DataRow("train --lr NaN", "--lr must be a positive number, got NaN.")]
    [DataRow("train --lr abc", "--lr expects a number, got 'abc'.")]
    [DataRow("train --batch-size 0", "--batch-size must be at least 1, got 0.")]
    [DataRow("train --hidden 100 0", "--hidden must be at least 1, got 0.")]
    [DataRow("train --workers -1", "--workers must be at least 0, got -1.")]
    [DataRow("train --data {dir}/absent", "Directory does not exist: '{dir}/absent'.")]
    [DataRow("train --out {dir}/absent/m.zip", "--out: folder '{dir}/absent' does not exist.")]
    [DataRow("train --out {dir}", "--out: '{dir}' is a folder; give a file name.")]
    [DataRow("evaluate --model {model} --split foo", "--split must be test or valid, got 'foo'.")]
    [DataRow("info --model {dir}/absent.zip", "File does not exist: '{dir}/absent.zip'.")]
    [DataRow("predict --model {model}", "Give an image file or --index N.")]
    [DataRow("predict --model {model} {model} --index 0", "Give an image file or --index N, not both.")]
    [DataRow("predict --model {model} {dir}/absent.png", "File does not exist: '{dir}/absent.png'.")]
    [DataRow("predict --model {model} --index abc", "--index expects a whole number, got 'abc'.")]
    [DataRow("predict --model {model} --data {data} --index 10000", "--index 10000 is outside the 10000 rows of the test split.")]
    [DataRow("frobnicate", "Unrecognized command or argument 'frobnicate'.")]
    public async Task BadArguments_ExitWith2_InOneLineNamingTheMistake(string args, string message)
    {
        string Expand(string text) => text.Replace("{dir}", _dir.Path).Replace("{model}", _model)
            .Replace("{data}", TestData.MnistFolder);
        var (exit, _, error) = await TestCli.Run(Expand(args).Split(' '));
        Assert.AreEqual(2, exit, error);
        Assert.AreEqual($"mlnet-mnist: {Expand(message)} (see --help)", error.Trim());
    }

    [TestMethod]
    public async Task CorruptModel_ExitsWith1_InOneLine()
    {
        File.WriteAllText(_dir.File("corrupt.zip"), "not a zip");
        var (exit, _, error) = await TestCli.Run("info", "--model", _dir.File("corrupt.zip"));
        Assert.AreEqual(1, exit);
        StringAssert.Contains(error, "corrupt.zip");
        Assert.AreEqual(1, error.Trim().Split('\n').Length, error);
    }

    [TestMethod]
    public async Task UnreadableImage_ExitsWith1_InOneLine()
    {
        File.WriteAllText(_dir.File("image.png"), "not an image");
        var (exit, _, error) = await TestCli.Run("predict", "--model", _model, _dir.File("image.png"));
        Assert.AreEqual(1, exit);
        StringAssert.Contains(error, "image.png");
        Assert.AreEqual(1, error.Trim().Split('\n').Length, error);
    }
}
