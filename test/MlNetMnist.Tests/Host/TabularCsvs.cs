using System.Globalization;
using System.IO.Compression;
using System.Text;
using MlNetMnist.Host.Bench;

namespace MlNetMnist.Tests.Host;

/// <summary>
/// CSV files with a header row for `train --csv`: scikit-learn's three small sets from Debian's python3-sklearn, written
/// as a user would have them, and generated sets with a text column for each task.
/// </summary>
internal static class TabularCsvs
{
    /// <summary>One test set: where it is, the label column, the task, and a floor its test metric must clear.</summary>
    public sealed record Set(string Name, string Path, string Label, string Task, string Metric, double Floor);

    public static IReadOnlyList<Set> WriteAll(string folder) =>
    [
        Write(folder, "diabetes", "progression", "regression", "R²", 0.3, Diabetes()),
        Write(folder, "cancer", "diagnosis", "binary", "AUC", 0.97, BreastCancer()),
        Write(folder, "wine", "cultivar", "multiclass", "accuracy", 0.85, Wine()),
        Write(folder, "shop-regression", "spend", "regression", "R²", 0.8, Shop("spend", s => s.ToString("F3", CultureInfo.InvariantCulture))),
        Write(folder, "shop-binary", "bought", "binary", "AUC", 0.9, Shop("bought", s => s > 0 ? "yes" : "no")),
        Write(folder, "shop-multiclass", "tier", "multiclass", "accuracy", 0.75, Shop("tier", s => s < -1 ? "low" : s < 1 ? "mid" : "high")),
    ];

    static Set Write(string folder, string name, string label, string task, string metric, double floor, IEnumerable<string> lines)
    {
        string path = System.IO.Path.Combine(folder, name + ".csv");
        File.WriteAllLines(path, lines);
        return new Set(name, path, label, task, metric, floor);
    }

    static IEnumerable<string> Diabetes()
    {
        var x = Lines("diabetes_data_raw.csv.gz").Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToArray();
        var y = Lines("diabetes_target.csv.gz").Select(l => double.Parse(l.Trim(), CultureInfo.InvariantCulture)).ToArray();
        yield return "age,sex,bmi,bp,s1,s2,s3,s4,s5,s6,progression";
        for (int i = 0; i < x.Length; i++) yield return string.Join(',', [.. x[i], y[i].ToString(CultureInfo.InvariantCulture)]);
    }

    // The file's first line holds counts and the class names (0 malignant, 1 benign), not column names.
    static IEnumerable<string> BreastCancer()
    {
        yield return string.Join(',', Enumerable.Range(0, 30).Select(i => $"x{i}")) + ",diagnosis";
        foreach (var cells in Lines("breast_cancer.csv").Skip(1).Select(l => l.Split(',')))
            yield return string.Join(',', cells[..^1]) + "," + (cells[^1] == "0" ? "malignant" : "benign");
    }

    static IEnumerable<string> Wine()
    {
        yield return "alcohol,malic_acid,ash,alcalinity,magnesium,phenols,flavanoids,nonflavanoid,proanthocyanins,colour,hue,od280,proline,cultivar";
        foreach (var cells in Lines("wine_data.csv").Skip(1).Select(l => l.Split(',')))
            yield return string.Join(',', cells[..^1]) + ",cultivar " + cells[^1];
    }

    /// <summary>
    /// 600 shoppers: age and visits (numbers), region (text, one-hot) and a score 0.04·(age - 40) + 0.5·(visits - 3) +
    /// the region's effect (north +1.5, south -1.5, east 0, "west, coast" +0.5: a quoted cell with a comma) + noise;
    /// the label is the score itself or a function of it.
    /// </summary>
    static IEnumerable<string> Shop(string name, Func<double, string> label)
    {
        var random = new Random(7);
        string[] regions = ["north", "south", "east", "\"west, coast\""];
        double[] effect = [1.5, -1.5, 0, 0.5];
        yield return $"age,visits,region,{name}";
        for (int i = 0; i < 600; i++)
        {
            int age = random.Next(18, 70), visits = random.Next(0, 8), region = random.Next(regions.Length);
            double score = 0.04 * (age - 40) + 0.5 * (visits - 3) + effect[region] + 0.3 * (random.NextDouble() - 0.5);
            yield return $"{age},{visits},{regions[region]},{label(score)}";
        }
    }

    static IEnumerable<string> Lines(string file)
    {
        string path = System.IO.Path.Combine(SklearnData.Folder, file);
        using var stream = File.OpenRead(path);
        using var reader = new StreamReader(path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(stream, CompressionMode.Decompress) : stream, Encoding.UTF8);
        while (reader.ReadLine() is { } line)
            if (line.Trim().Length > 0) yield return line;
    }
}
