using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMnist.DataViews;
using MlNetMnist.Trainers;

namespace MlNetMnist.Tests;

/// <summary>
/// The two readers that take files from users, fed damaged copies of real files: a few thousand seeded truncations and
/// bit flips each. Every attempt loads or fails with the reader's own clear exception, never a NullReference,
/// IndexOutOfRange, OutOfMemory or a hang.
/// </summary>
[TestClass]
public sealed class FuzzTests
{
    const int Seed = 14;
    static readonly TimeSpan Budget = TimeSpan.FromSeconds(120); // a hang fails the test instead of the run

    static TempDirectory _dir = null!;

    [ClassInitialize]
    public static void Init(TestContext _) => _dir = TestData.TempDirectory();

    [ClassCleanup]
    public static void Cleanup() => _dir?.Dispose();

    /// <summary>Truncates, flips one to four bits, or overwrites a byte; the header (<paramref name="hot"/> bytes) half the time.</summary>
    static byte[] Damage(byte[] original, Random random, int hot)
    {
        byte[] bytes = (byte[])original.Clone();
        int Position() => random.Next(2) == 0 ? random.Next(Math.Min(hot, bytes.Length)) : random.Next(bytes.Length);
        switch (random.Next(4))
        {
            case 0:
                return bytes[..random.Next(bytes.Length)];
            case 1:
                bytes[Position()] = (byte)random.Next(256);
                return bytes;
            default:
                for (int i = random.Next(1, 5); i > 0; i--) bytes[Position()] ^= (byte)(1 << random.Next(8));
                return bytes;
        }
    }

    /// <summary>Outcome counts: "loaded", or the exception chain's types and the innermost message's start.</summary>
    sealed class Tally
    {
        public readonly Dictionary<string, int> Counts = [];
        public readonly List<string> Bad = [];
        public int Cases;

        public void Add(string outcome, bool bad)
        {
            Cases++;
            Counts[outcome] = Counts.GetValueOrDefault(outcome) + 1;
            if (bad && Bad.Count < 20) Bad.Add(outcome);
        }

        public void Report(string what)
        {
            Console.WriteLine($"{what}: {Cases} cases");
            foreach (var (outcome, count) in Counts.OrderByDescending(c => c.Value)) Console.WriteLine($"  {count,5}  {outcome}");
            Assert.IsEmpty(Bad, $"{what}: unexpected failures:\n{string.Join("\n", Bad)}");
        }
    }

    static string Chain(Exception e)
    {
        var types = new List<string>();
        Exception inner = e;
        for (Exception? c = e; c is not null; c = c.InnerException) { types.Add(c.GetType().Name); inner = c; }
        string message = inner.Message.Split('\n')[0];
        return $"{string.Join(" > ", types)}: {message[..Math.Min(100, message.Length)]}";
    }

    static void WithinBudget(Action run)
    {
        var task = Task.Run(run);
        Assert.IsTrue(task.Wait(Budget), $"the fuzz run took over {Budget}: a hang?");
        task.GetAwaiter().GetResult();
    }

    /// <summary>The first <paramref name="count"/> items of an IDX file, its header rewritten to say so.</summary>
    static byte[] Head(string path, int count)
    {
        byte[] bytes = File.ReadAllBytes(path);
        int rank = bytes[3], header = 4 + 4 * rank;
        int item = 1;
        for (int i = 1; i < rank; i++) item *= BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * i));
        byte[] head = bytes[..(header + count * item)];
        BinaryPrimitives.WriteInt32BigEndian(head.AsSpan(4), count);
        return head;
    }

    static byte[] Gzip(byte[] data)
    {
        var stream = new MemoryStream();
        using (var gz = new GZipStream(stream, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(data);
        return stream.ToArray();
    }

    [TestMethod]
    public void IdxReader_DamagedRealFiles_LoadOrFailNamingTheFile()
    {
        var files = TestData.Mnist;
        byte[] images = Head(files.TestImages, 20), labels = Head(files.TestLabels, 20);
        (string Name, byte[] Bytes, int Rank)[] originals =
        [
            ("images", images, 3), ("labels", labels, 1), ("images.gz", Gzip(images), 3), ("labels.gz", Gzip(labels), 1),
            ("t10k-labels", File.ReadAllBytes(files.TestLabels), 1),
        ];
        var random = new Random(Seed);
        var tally = new Tally();
        var clock = Stopwatch.StartNew();
        WithinBudget(() =>
        {
            for (int i = 0; i < 3000; i++)
            {
                var (name, original, rank) = originals[i % originals.Length];
                string path = _dir.File($"fuzz-{name}");
                File.WriteAllBytes(path, Damage(original, random, hot: name.EndsWith(".gz") ? 40 : 20));
                try
                {
                    var idx = IdxFile.Read(path, rank);
                    if (idx.Count > 0) _ = idx.Item(idx.Count - 1).Length;
                    tally.Add("loaded", bad: false);
                }
                catch (InvalidDataException e) when (e.InnerException is null && e.Message.Contains($"'{path}'"))
                {
                    tally.Add($"InvalidDataException: {e.Message.Replace(path, "<file>").Split(':')[1].Trim().Split(' ')[0]}...", bad: false);
                }
                catch (Exception e)
                {
                    tally.Add(Chain(e), bad: true);
                }
            }
        });
        tally.Report($"IDX reader, {clock.Elapsed.TotalSeconds:F1} s");
    }

    [TestMethod]
    public void ModelZip_DamagedContainerAndPayload_LoadOrFailClearly()
    {
        var ml = new MLContext(seed: 1);
        var splits = TestData.Splits(ml);
        var rows = ml.Data.TakeRows(splits.Train, 2000);
        var pipeline = ml.Transforms.ScalePixels("Features", "Pixels")
            .Append(ml.MulticlassClassification.Trainers.Mlp(new MlpOptions { HiddenLayers = [8], Epochs = 1 }))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedDigit", "PredictedLabel"));
        string zip = _dir.File("model.zip");
        ml.Model.Save(pipeline.Fit(rows), rows.Schema, zip);
        byte[] zipBytes = File.ReadAllBytes(zip);
        var (entryName, entry, signatureAt) = ModelZip.ReadMlpEntry(zip);
        var probe = ml.Data.TakeRows(splits.Test, 2);
        float[] expected = Scores(ml.Model.Load(zip, out _), probe);
        Console.WriteLine($"Model.key entry: {entry.Length} bytes, zip {zipBytes.Length} bytes");

        var random = new Random(Seed);
        var tally = new Tally();
        var clock = Stopwatch.StartNew();
        WithinBudget(() =>
        {
            for (int i = 0; i < 1000; i++)
            {
                string path = _dir.File("fuzz.zip");
                bool payload = i % 2 == 1;
                if (payload)
                    ModelZip.WriteWithEntry(zip, path, entryName, Damage(entry, random, hot: signatureAt + 200));
                else
                    File.WriteAllBytes(path, Damage(zipBytes, random, hot: 64));
                string kind = payload ? "payload" : "container";
                try
                {
                    float[] scores = Scores(ml.Model.Load(path, out _), probe);
                    bool same = scores.SequenceEqual(expected);
                    // A changed MLP entry that loads must be the same model: the payload's SHA-256 makes any other change an error.
                    tally.Add($"{kind}: loaded, {(same ? "same" : "different")} scores", bad: payload && !same);
                }
                catch (Exception e)
                {
                    tally.Add($"{kind}: {Chain(e)}", bad: !Clear(e));
                }
            }
        });
        tally.Report($"model zip, {clock.Elapsed.TotalSeconds:F1} s");
    }

    static float[] Scores(ITransformer model, IDataView rows) => model.Transform(rows).GetColumn<float[]>("Score").SelectMany(s => s).ToArray();

    /// <summary>ML.NET's own load errors and ours (InvalidDataException, FormatException, IOException, its InvalidOperationException), no crash types.</summary>
    static bool Clear(Exception e)
    {
        for (Exception? c = e; c is not null; c = c.InnerException)
            if (c is NullReferenceException or IndexOutOfRangeException or OutOfMemoryException or OverflowException
                    or InvalidCastException or KeyNotFoundException or AccessViolationException
                // ML.NET's schema errors are ArgumentOutOfRangeExceptions naming a column (a flipped column name); a span's are not.
                || c is ArgumentOutOfRangeException && !c.Message.Contains("column"))
                return false;
        return true;
    }
}
