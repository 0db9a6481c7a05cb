using MlNetMnist.Host.Commands;
using MlNetMnist.Host;

namespace MlNetMnist.Tests.Host;

/// <summary>Runs `mlnet-mnist` in this process and captures what it prints.</summary>
internal static class TestCli
{
    public static Task<(int Exit, string Out, string Err)> Run(params string[] args) => Run(null, CancellationToken.None, args);

    /// <summary>With <paramref name="output"/> as stdout (a fresh StringWriter when null) and a token that stands for Ctrl+C.</summary>
    public static async Task<(int Exit, string Out, string Err)> Run(TextWriter? output, CancellationToken cancellation, params string[] args)
    {
        output ??= new StringWriter();
        var error = new StringWriter();
        int exit = await Cli.RunAsync(args, output, error, cancellation);
        return (exit, output.ToString()!, error.ToString());
    }

    /// <summary>`train --epochs 1` into <paramref name="model"/>; fails the calling test if it does not exit 0. Returns what train printed.</summary>
    public static async Task<string> TrainOneEpoch(string model)
    {
        var (exit, output, error) = await Run("train", "--epochs", "1", "--data", TestData.MnistFolder, "--out", model);
        Assert.AreEqual(0, exit, error);
        return output;
    }
}
