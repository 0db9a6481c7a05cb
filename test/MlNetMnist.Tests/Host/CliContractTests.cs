using System.Globalization;
using MlNetMnist.Host.Commands;
using MlNetMnist.Host;
using MlNetMnist.Tests.Host;

namespace MlNetMnist.Tests.Host;

/// <summary>The command line's contract for every input: exit 0, 1 (failure), 2 (bad arguments) or 130 (cancelled), one line on stderr.</summary>
[TestClass]
public sealed class CliContractTests
{
    static TempDirectory _dir = null!;
    static string _model = null!;
    static string _data = null!;

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
    [DataRow("bench --epochs 0", "--epochs must be at least 1, got 0.")]
    [DataRow("bench --epochs -1", "--epochs must be at least 1, got -1.")]
    [DataRow("bench --threads 0", "--threads must be at least 1, got 0.")]
    [DataRow("bench tabular --friedman-rows 0", "--friedman-rows must be at least 1, got 0.")]
    [DataRow("bench tabular --friedman-epochs 0", "--friedman-epochs must be at least 1, got 0.")]
    [DataRow("train --out /proc/model.zip", "--out: folder '/proc' is not writable.")]
    [DataRow("train --out {model}/m.zip", "--out: folder '{model}' does not exist.")]
    public async Task BadArguments_ExitWith2_InOneLine(string args, string message)
    {
        var (exit, _, error) = await TestCli.Run(args.Replace("{model}", _model).Split(' '));
        Assert.AreEqual(2, exit, error);
        Assert.AreEqual($"mlnet-mnist: {message.Replace("{model}", _model)} (see --help)", error.Trim());
    }

    [TestMethod]
    public async Task Cancelled_Train_ExitsWith130_AndSavesNothing()
    {
        string output = _dir.File("cancelled.zip");
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        var (exit, _, error) = await TestCli.Run(null, cancel.Token, "train", "--epochs", "1", "--data", _data, "--out", output);
        Assert.AreEqual(130, exit, error);
        Assert.AreEqual("mlnet-mnist: cancelled; nothing was saved.", error.Trim());
        Assert.IsFalse(File.Exists(output));
        Assert.IsEmpty(Directory.GetFiles(_dir.Path, "cancelled*"));
    }

    [TestMethod]
    public async Task CancelledDuringTraining_ExitsWith130()
    {
        // 200 epochs take 15 s or more: a cancel after 1.5 s lands in training (or, on a slow machine, before it), never after.
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(1500));
        var (exit, _, error) = await TestCli.Run(null, cancel.Token, "train", "--epochs", "200", "--data", _data, "--out", _dir.File("late.zip"));
        Assert.AreEqual(130, exit, error);
        Assert.IsFalse(File.Exists(_dir.File("late.zip")));
    }

    /// <summary>A writer that refuses every write with an exception none of the commands expects.</summary>
    sealed class RefusingWriter : StringWriter
    {
        public override void Write(char value) => throw new NotSupportedException("this output refuses writes");
        public override void Write(string? value) => throw new NotSupportedException("this output refuses writes");
        public override void Write(char[] buffer, int index, int count) => throw new NotSupportedException("this output refuses writes");
    }

    [TestMethod]
    public async Task AnyUnexpectedException_ExitsWith1_InOneLine()
    {
        var (exit, _, error) = await TestCli.Run(new RefusingWriter(), CancellationToken.None, "info", "--model", _model);
        Assert.AreEqual(1, exit, error);
        Assert.AreEqual("mlnet-mnist: this output refuses writes", error.Trim());
    }

    [TestMethod]
    public async Task Info_PrintsTheFormatVersionStoredInTheZip()
    {
        string newer = _dir.File("written-by-a-later-build.zip");
        ModelZip.WriteWithVersions(_model, newer, written: 0x00010007, readable: 0x00010001); // newer writer, still readable here
        var (exit, output, error) = await TestCli.Run("info", "--model", newer);
        Assert.AreEqual(0, exit, error);
        StringAssert.Contains(output, "0x00010007");
        Assert.IsFalse(output.Contains("0x00010001"), output);
    }

    [TestMethod]
    public async Task Info_PrintsTheSameNumbers_WhateverTheCulture()
    {
        var before = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = new CultureInfo("de-DE");
        try
        {
            var (exit, output, error) = await TestCli.Run("info", "--model", _model);
            Assert.AreEqual(0, exit, error);
            StringAssert.Contains(output, "39,760");
            StringAssert.Contains(output, "0.5");
            Assert.AreEqual("de-DE", CultureInfo.CurrentCulture.Name, "the caller's culture is back");
        }
        finally
        {
            CultureInfo.CurrentCulture = before;
        }
    }
}
