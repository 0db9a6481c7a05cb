using System.Globalization;
using System.IO.Compression;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace MlNetMnist.Host.Bench;

/// <summary>
/// scikit-learn's small tabular sets as Debian's python3-sklearn ships them (build/setup.sh installs it): diabetes
/// (regression), breast cancer (binary) and wine (three classes), each as an IDataView of Features and Label; `bench
/// tabular` and the tests read them.
/// </summary>
internal static class SklearnData
{
    public const string Folder = "/usr/lib/python3/dist-packages/sklearn/datasets/data";

    public sealed class RegressionRow
    {
        [VectorType] public float[] Features { get; set; } = [];

        public float Label { get; set; }
    }

    public sealed class BinaryRow
    {
        [VectorType] public float[] Features { get; set; } = [];

        public bool Label { get; set; }
    }

    public sealed class ClassRow
    {
        [VectorType] public float[] Features { get; set; } = [];

        public uint Label { get; set; }
    }

    /// <summary>442 patients, 10 features, a disease-progression score to regress.</summary>
    public static IDataView Diabetes(MLContext ml)
    {
        var x = Lines(Path.Combine(Folder, "diabetes_data_raw.csv.gz")).Select(l => Numbers(l, ' ')).ToArray();
        var y = Lines(Path.Combine(Folder, "diabetes_target.csv.gz")).Select(l => Numbers(l, ' ')[0]).ToArray();
        return WithSize(ml, x.Zip(y, (f, t) => new RegressionRow { Features = f, Label = t }), x[0].Length);
    }

    /// <summary>569 tumours, 30 features, benign (true) or malignant.</summary>
    public static IDataView BreastCancer(MLContext ml) =>
        WithSize(ml, Table("breast_cancer.csv").Select(r => new BinaryRow { Features = r[..^1], Label = r[^1] == 1 }), 30);

    /// <summary>178 wines, 13 features, three cultivars (integer label 0..2).</summary>
    public static IDataView Wine(MLContext ml) =>
        WithSize(ml, Table("wine_data.csv").Select(r => new ClassRow { Features = r[..^1], Label = (uint)r[^1] }), 13);

    /// <summary>The rows with Features of known size and slot names "x0", "x1", ... (ML.NET's tools name features by them).</summary>
    static IDataView WithSize<T>(MLContext ml, IEnumerable<T> rows, int features) where T : class
    {
        var schema = SchemaDefinition.Create(typeof(T));
        var type = new VectorDataViewType(NumberDataViewType.Single, features);
        schema["Features"].ColumnType = type;
        var names = Enumerable.Range(0, features).Select(i => $"x{i}".AsMemory()).ToArray();
        schema["Features"].AddAnnotation("SlotNames", new VBuffer<ReadOnlyMemory<char>>(features, names),
            new VectorDataViewType(TextDataViewType.Instance, features));
        return ml.Data.LoadFromEnumerable(rows.ToList(), schema);
    }

    // The first line holds the row and feature counts and the class names, not column names.
    static IEnumerable<float[]> Table(string file) => Lines(Path.Combine(Folder, file)).Skip(1).Select(l => Numbers(l, ','));

    static float[] Numbers(string line, char separator) =>
        line.Split(separator, StringSplitOptions.RemoveEmptyEntries).Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();

    static IEnumerable<string> Lines(string path)
    {
        using var file = File.OpenRead(path);
        using var reader = new StreamReader(path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(file, CompressionMode.Decompress) : file);
        while (reader.ReadLine() is { } line)
            if (line.Length > 0) yield return line;
    }
}
