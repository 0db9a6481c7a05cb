using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using MlNetMnist.Trainers;

namespace MlNetMnist.Host.Tabular;

/// <summary>How a column of the CSV is read: a number (a normalised feature) or text (one-hot).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ColumnKind>))]
internal enum ColumnKind { Number, Text }

/// <summary>One column of the CSV, in file order.</summary>
internal sealed record TabularColumn(string Name, ColumnKind Kind);

/// <summary>
/// What a tabular model reads and predicts, inferred from the training CSV and stored in the model zip beside ML.NET's
/// entries: the columns in file order with their kinds, the label column, the task, and for classification the label's
/// values (binary: which is positive).
/// </summary>
internal sealed record TabularSchema(IReadOnlyList<TabularColumn> Columns, string Label, MlpTask Task)
{
    /// <summary>Binary: the label value that is the positive class (PredictedLabel true, Probability of it).</summary>
    public string? Positive { get; init; }

    /// <summary>Binary: the other label value.</summary>
    public string? Negative { get; init; }

    /// <summary>Multiclass: the class names, in the order of the Score vector.</summary>
    public IReadOnlyList<string>? Classes { get; init; }

    /// <summary>
    /// Column names the pipeline makes (features, label and the trainer's outputs): a CSV column of one of these names
    /// other than the label would be overwritten.
    /// </summary>
    public static readonly string[] Reserved = ["Features", "NumericFeatures", "Label", "Score", "Probability", "PredictedLabel", "PredictedClass"];

    /// <summary>The tasks by the names the command line gives them.</summary>
    public static readonly IReadOnlyDictionary<string, MlpTask> TaskNames = new Dictionary<string, MlpTask>
    {
        ["regression"] = MlpTask.Regression, ["binary"] = MlpTask.BinaryClassification, ["multiclass"] = MlpTask.MulticlassClassification,
    };

    public static MlpTask TaskNamed(string name) => TaskNames[name];

    public static string TaskName(MlpTask task) => TaskNames.Single(t => t.Value == task).Key;

    public IEnumerable<TabularColumn> Features => Columns.Where(c => c.Name != Label);

    public TabularColumn LabelColumn => Columns.Single(c => c.Name == Label);

    /// <summary>
    /// Reads the whole CSV once: a column is a number when every cell parses as a finite float (invariant culture),
    /// else text. The label must suit the task: numeric for regression, two distinct values for binary (the positive
    /// one is <paramref name="positive"/>, else 1, true or yes, else the one that sorts last), at least two for multiclass.
    /// </summary>
    /// <exception cref="InvalidDataException">The file, a column or the label does not fit; the message names file, column, line or value.</exception>
    public static TabularSchema Infer(string path, string label, MlpTask task, string? positive)
    {
        using var csv = CsvFile.Open(path);
        int labelIndex = Array.IndexOf(csv.Header, label);
        if (labelIndex < 0)
            throw new InvalidDataException($"'{csv.Path}' has no column '{label}' for the label; its columns are {string.Join(", ", csv.Header.Select(h => $"'{h}'"))}.");
        if (csv.Header.FirstOrDefault(h => h != label && Reserved.Contains(h)) is { } clash)
            throw new InvalidDataException($"'{csv.Path}': column '{clash}' has a name the model's own columns use ({string.Join(", ", Reserved)}); rename it.");
        if (csv.Header.Length < 2)
            throw new InvalidDataException($"'{csv.Path}' has only the label column '{label}': no features to learn from.");

        int n = csv.Header.Length;
        var numeric = Enumerable.Repeat(true, n).ToArray();
        var firstEmpty = new long[n];
        var firstText = new (long Line, string Value)[n];
        var labels = new HashSet<string>(StringComparer.Ordinal);
        long rows = 0;
        foreach (var (line, cells) in csv.Rows())
        {
            rows++;
            for (int c = 0; c < n; c++)
            {
                if (cells[c].Length == 0) { if (firstEmpty[c] == 0) firstEmpty[c] = line; }
                else if (numeric[c] && !IsNumber(cells[c])) { numeric[c] = false; firstText[c] = (line, cells[c]); }
            }
            if (labels.Count <= 1000) labels.Add(cells[labelIndex]);
        }
        if (rows == 0)
            throw new InvalidDataException($"'{csv.Path}' has a header but no rows.");
        for (int c = 0; c < n; c++)
            if (numeric[c] && firstEmpty[c] > 0)
                throw new InvalidDataException($"'{csv.Path}' line {firstEmpty[c]}: column '{csv.Header[c]}' is empty; its other cells are numbers, and missing numbers are not supported (fill or drop the row).");

        var columns = csv.Header.Select((h, c) => new TabularColumn(h, numeric[c] ? ColumnKind.Number : ColumnKind.Text)).ToArray();
        if (firstEmpty[labelIndex] > 0)
            throw new InvalidDataException($"'{csv.Path}' line {firstEmpty[labelIndex]}: the label '{label}' is empty.");
        switch (task)
        {
            case MlpTask.Regression:
                if (!numeric[labelIndex])
                    throw new InvalidDataException($"'{csv.Path}' line {firstText[labelIndex].Line}: the label '{label}' is '{firstText[labelIndex].Value}', not a number; --task regression needs a numeric label.");
                return new TabularSchema(columns, label, task);
            case MlpTask.BinaryClassification:
                if (labels.Count != 2)
                    throw new InvalidDataException($"'{csv.Path}': the label '{label}' has {Count(labels)} ({Some(labels)}); --task binary needs exactly two.");
                string pos = positive ?? DefaultPositive(labels);
                if (!labels.Contains(pos))
                    throw new InvalidDataException($"'{csv.Path}': --positive '{pos}' is not a value of the label '{label}' ({Some(labels)}).");
                return new TabularSchema(columns, label, task) { Positive = pos, Negative = labels.Single(l => l != pos) };
            default:
                if (labels.Count < 2)
                    throw new InvalidDataException($"'{csv.Path}': the label '{label}' has only the value '{labels.Single()}'; --task multiclass needs two or more.");
                if (labels.Count > 1000)
                    throw new InvalidDataException($"'{csv.Path}': the label '{label}' has more than 1000 distinct values; is it a class? (--task regression for a number)");
                return new TabularSchema(columns, label, task);
        }
    }

    static string Count(HashSet<string> values) => values.Count > 1000 ? "over 1000 distinct values" : $"{values.Count} distinct value{(values.Count == 1 ? "" : "s")}";

    static string Some(IEnumerable<string> values) =>
        string.Join(", ", values.Order(StringComparer.Ordinal).Take(5).Select(v => $"'{v}'")) + (values.Count() > 5 ? ", ..." : "");

    /// <summary>true or yes (any case) when one of the two is; else the larger when both are numbers (1 of 0 and 1); else the one that sorts last, ordinally.</summary>
    static string DefaultPositive(HashSet<string> labels) =>
        labels.FirstOrDefault(l => l.Equals("true", StringComparison.OrdinalIgnoreCase) || l.Equals("yes", StringComparison.OrdinalIgnoreCase))
        ?? (labels.All(IsNumber) ? labels.MaxBy(l => float.Parse(l, CultureInfo.InvariantCulture)) : labels.Max(StringComparer.Ordinal))!;

    /// <summary>
    /// This model's schema, when <paramref name="inferred"/> (from <paramref name="path"/>, to continue training on) has
    /// the same columns, kinds, label, task and label values.
    /// </summary>
    /// <exception cref="InvalidDataException">They differ; the message names the first difference.</exception>
    public TabularSchema CheckSame(TabularSchema inferred, string path)
    {
        string? difference =
            !Columns.SequenceEqual(inferred.Columns) ? $"its columns are {Describe(inferred.Columns)}; the model's are {Describe(Columns)}"
            : Label != inferred.Label || Task != inferred.Task ? $"the label is '{inferred.Label}' ({TaskName(inferred.Task)}); the model's is '{Label}' ({TaskName(Task)})"
            : Positive != inferred.Positive || Negative != inferred.Negative ? $"the label's values are '{inferred.Positive}' (positive) and '{inferred.Negative}'; the model's are '{Positive}' and '{Negative}'"
            : null;
        return difference is null ? this : throw new InvalidDataException($"'{path}' does not fit the model to resume: {difference}.");
    }

    static string Describe(IEnumerable<TabularColumn> columns) =>
        string.Join(", ", columns.Select(c => $"{c.Name} ({(c.Kind == ColumnKind.Number ? "number" : "text")})"));

    /// <summary>What a number cell is: a finite float in the invariant culture (TextLoader reads it as the same value).</summary>
    public static bool IsNumber(string cell) =>
        float.TryParse(cell, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) && float.IsFinite(v);

    /// <summary>The zip entry the schema is stored under, beside ML.NET's own (which ml.Model.Load ignores).</summary>
    public const string ZipEntry = "MlNetMnist/TabularSchema.json";

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static TabularSchema FromJson(string json) =>
        JsonSerializer.Deserialize<TabularSchema>(json, Json) ?? throw new InvalidDataException("The tabular schema entry is empty.");
}
