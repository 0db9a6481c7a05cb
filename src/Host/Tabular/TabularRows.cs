using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMnist.Trainers;

namespace MlNetMnist.Host.Tabular;

/// <summary>A row of raw values that does not fit the model's columns; the message names the column and the value.</summary>
internal sealed class BadRowException(string message) : Exception(message);

/// <summary>
/// Raw rows for a trained <see cref="TabularModel"/> (from a CSV, --values or a JSON request) checked against its schema
/// and handed to the model's own TextLoader, so that they are read exactly as the training file was.
/// </summary>
internal static class TabularRows
{
    /// <summary>
    /// Reads a CSV whose header names every feature column of the model (any order; other columns are ignored) and,
    /// when <paramref name="withLabel"/>, the label.
    /// </summary>
    /// <exception cref="InvalidDataException">A column is missing or a cell does not fit; the message names file, line, column and value.</exception>
    public static List<string[]> FromCsv(TabularSchema schema, string path, bool withLabel)
    {
        using var csv = CsvFile.Open(path);
        var index = schema.Columns.Select(c => Array.IndexOf(csv.Header, c.Name)).ToArray();
        var missing = schema.Columns.Where((c, i) => index[i] < 0 && (withLabel || c.Name != schema.Label)).Select(c => $"'{c.Name}'").ToArray();
        if (missing.Length > 0)
            throw new InvalidDataException($"'{csv.Path}' lacks the column{(missing.Length > 1 ? "s" : "")} {string.Join(", ", missing)} that the model reads.");
        var rows = new List<string[]>();
        foreach (var (line, cells) in csv.Rows())
            rows.Add(Row(schema, name => index[IndexOf(schema, name)] is int i and >= 0 ? cells[i] : null, withLabel, $"'{csv.Path}' line {line}"));
        if (rows.Count == 0)
            throw new InvalidDataException($"'{csv.Path}' has a header but no rows.");
        return rows;
    }

    static int IndexOf(TabularSchema schema, string name)
    {
        for (int i = 0; i < schema.Columns.Count; i++)
            if (schema.Columns[i].Name == name) return i;
        return -1;
    }

    /// <summary>
    /// One row from named values (--values, a JSON object): every feature column must be given; the label may be.
    /// </summary>
    /// <exception cref="BadRowException">A feature is missing, a name is not a column, or a value does not fit.</exception>
    public static string[] FromValues(TabularSchema schema, IReadOnlyDictionary<string, string> values, string where)
    {
        if (values.Keys.FirstOrDefault(k => IndexOf(schema, k) < 0) is { } unknown)
            throw new BadRowException($"{where}: '{unknown}' is not a column of the model; its columns are {string.Join(", ", schema.Columns.Select(c => $"'{c.Name}'"))}.");
        return Row(schema, name => values.TryGetValue(name, out var v) ? v : null, withLabel: false, where);
    }

    /// <summary>The row in the model's column order; without <paramref name="withLabel"/> the label is not checked, and empty when not given (it does not change a prediction).</summary>
    static string[] Row(TabularSchema schema, Func<string, string?> cell, bool withLabel, string where)
    {
        var row = new string[schema.Columns.Count];
        for (int i = 0; i < row.Length; i++)
        {
            var column = schema.Columns[i];
            bool label = column.Name == schema.Label;
            string? value = cell(column.Name)?.Trim();
            if (value is null && (!label || withLabel))
                throw new BadRowException($"{where}: column '{column.Name}' is missing; the model reads {Describe(schema, column)}.");
            value ??= "";
            if (label && !withLabel) { row[i] = value; continue; } // shown beside the prediction, not read by it
            if (label) CheckLabel(schema, value, where);
            else if (column.Kind == ColumnKind.Number && !TabularSchema.IsNumber(value))
                throw new BadRowException($"{where}: column '{column.Name}' is '{value}', not a number; the model reads {Describe(schema, column)}.");
            row[i] = value;
        }
        return row;
    }

    static void CheckLabel(TabularSchema schema, string value, string where)
    {
        bool fits = schema.Task switch
        {
            MlpTask.Regression => TabularSchema.IsNumber(value),
            MlpTask.BinaryClassification => value == schema.Positive || value == schema.Negative,
            _ => schema.Classes!.Contains(value),
        };
        if (!fits)
            throw new BadRowException($"{where}: the label '{schema.Label}' is '{value}'; the model's label is {Describe(schema, schema.LabelColumn)}.");
    }

    static string Describe(TabularSchema schema, TabularColumn column) =>
        column.Name != schema.Label ? (column.Kind == ColumnKind.Number ? $"'{column.Name}' as a number" : $"'{column.Name}' as text")
        : schema.Task switch
        {
            MlpTask.Regression => "a number",
            MlpTask.BinaryClassification => $"'{schema.Positive}' or '{schema.Negative}'",
            _ => $"one of {string.Join(", ", schema.Classes!.Select(c => $"'{c}'"))}",
        };

    /// <summary>The rows as a data view read by the model's TextLoader (each cell quoted, as a CSV it would read).</summary>
    public static IDataView Load(TabularModel model, IReadOnlyList<string[]> rows)
    {
        var text = new StringBuilder();
        text.AppendJoin(',', model.Schema.Columns.Select(c => Quote(c.Name))).Append('\n');
        foreach (var row in rows)
            text.AppendJoin(',', row.Select(Quote)).Append('\n');
        return model.Loader.Load(new TextSource(text.ToString()));
    }

    static string Quote(string cell) => $"\"{cell.Replace("\"", "\"\"")}\"";

    /// <summary>Text in memory as the one stream of an ML.NET data source.</summary>
    sealed class TextSource(string text) : IMultiStreamSource
    {
        public int Count => 1;

        public string? GetPathOrNull(int index) => null;

        public Stream Open(int index) => new MemoryStream(Encoding.UTF8.GetBytes(text), writable: false);

        public TextReader OpenTextReader(int index) => new StringReader(text);
    }
}
