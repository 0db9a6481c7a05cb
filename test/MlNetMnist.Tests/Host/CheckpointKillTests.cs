using System.Diagnostics;
using System.Text.RegularExpressions;

namespace MlNetMnist.Tests.Host;

/// <summary>
/// `train --checkpoint` killed with SIGKILL at several instants (during an epoch, right after a checkpoint, while one is
/// being written), then `train --resume` of the checkpoint: the final weights are those of an uninterrupted run, bit for bit.
/// </summary>
[TestClass]
public sealed class CheckpointKillTests
{
    // Adam under one-cycle with early stopping: optimizer moments, step count, schedule position and shuffle order must all carry over.
    static string[] Train(string checkpoint, string output) =>
        ["train", "--data", TestData.MnistFolder, "--epochs", "4", "--optimizer", "adam", "--lr", "0.003", "--schedule", "onecycle",
         "--early-stopping", "--checkpoint", checkpoint, "--out", output];

    static string Temps(string checkpoint) => $".{Path.GetFileName(checkpoint)}.*.tmp";

    static async Task<string> WeightsSha256(string model)
    {
        var (exit, output, error) = await TestCli.Run("info", "--model", model);
        Assert.AreEqual(0, exit, error);
        return Regex.Match(output, "weights SHA-256 │ ([0-9a-f]{64})").Groups[1].Value;
    }

    enum Instant { DuringAnEpoch, RightAfterACheckpoint, WhileWritingACheckpoint }

    /// <summary>Starts a run and SIGKILLs it at <paramref name="instant"/> after its first checkpoint; returns whether the kill came at that instant.</summary>
    static async Task<bool> KillAt(Instant instant, string checkpoint, string output)
    {
        using var run = HostProcess.Start(Train(checkpoint, output));
        string folder = Path.GetDirectoryName(checkpoint)!;
        var clock = Stopwatch.StartNew();
        bool Writing() => Directory.EnumerateFiles(folder, Temps(checkpoint)).Any();
        while (!File.Exists(checkpoint))
        {
            if (run.HasExited || clock.Elapsed > TimeSpan.FromMinutes(2)) Assert.Fail($"no checkpoint appeared: {run.Err}");
            Thread.Sleep(1);
        }
        if (instant == Instant.DuringAnEpoch) await Task.Delay(150);
        if (instant == Instant.WhileWritingACheckpoint)
            while (!Writing()) // the second checkpoint
            {
                if (run.HasExited) return false;
                Thread.Sleep(1);
            }
        run.Kill();
        Assert.IsFalse(File.Exists(output), "killed before the end");
        return instant != Instant.WhileWritingACheckpoint || Writing();
    }

    [TestMethod]
    public async Task KilledRun_ResumedFromItsCheckpoint_EndsWithTheUninterruptedWeights()
    {
        using var dir = TestData.TempDirectory();
        var (exit, _, error) = await TestCli.Run(Train(dir.File("straight.ckpt.zip"), dir.File("straight.zip")));
        Assert.AreEqual(0, exit, error);
        string expected = await WeightsSha256(dir.File("straight.zip"));
        Assert.AreEqual(expected, await WeightsSha256(dir.File("straight.ckpt.zip")), "the last checkpoint is the last epoch");

        foreach (var instant in Enum.GetValues<Instant>())
        {
            string checkpoint = dir.File($"{instant}.ckpt.zip"), output = dir.File($"{instant}.zip");
            // A kill aimed at a write can land just after its rename: try again until one lands inside it.
            bool landed = false;
            for (int attempt = 0; attempt < 5 && !landed; attempt++)
            {
                foreach (string file in Directory.GetFiles(dir.Path, $"*{instant}*")) File.Delete(file);
                landed = await KillAt(instant, checkpoint, output);
            }
            Assert.IsTrue(landed, $"no kill landed {instant}");
            if (instant == Instant.WhileWritingACheckpoint)
                Assert.IsNotEmpty(Directory.GetFiles(dir.Path, Temps(checkpoint)), "a half-written checkpoint was left behind");

            // Options not given (--epochs included) are the checkpoint's.
            var resumed = await TestCli.Run("train", "--data", TestData.MnistFolder, "--resume", checkpoint, "--checkpoint", checkpoint, "--out", output);
            Assert.AreEqual(0, resumed.Exit, $"{instant}: {resumed.Err}");
            Assert.AreEqual(expected, await WeightsSha256(output), $"killed {instant}");
            Assert.IsEmpty(Directory.GetFiles(dir.Path, Temps(checkpoint)), "the resumed run removed what the killed one left");
        }
    }
}
