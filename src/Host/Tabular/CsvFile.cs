using Microsoft.VisualBasic.FileIO;

namespace MlNetMnist.Host.Tabular;

/// <summary>
/// Reads a comma-separated file with a header row, as ML.NET's TextLoader reads it for the model (quoted fields may hold
/// commas and doubled quotes; cells are trimmed), one row at a time with its line number, so that every complaint can
/// name the file, the line and the column.
/// </summary>
internal sealed class CsvFile : IDisposable
{
    readonly TextFieldParser _parser;

    CsvFile(string path, TextFieldParser parser, string[] header)
    {
        Path = path;
        _parser = parser;
        Header = header;
    }

    /// <summary>The file's full path, as errors name it.</summary>
    public string Path { get; }

    /// <summary>The column names of the header row.</summary>
    public string[] Header { get; }

    /// <exception cref="InvalidDataException">The file is empty, or its header has an empty or repeated name.</exception>
    public static CsvFile Open(string path)
    {
        path = System.IO.Path.GetFullPath(path);
        var parser = new TextFieldParser(path) { TextFieldType = FieldType.Delimited, HasFieldsEnclosedInQuotes = true, TrimWhiteSpace = true };
        parser.SetDelimiters(",");
        try
        {
            string[] header = ReadFields(parser, path) ?? throw new InvalidDataException($"'{path}' is empty: expected a header row of column names, then rows.");
            for (int i = 0; i < header.Length; i++)
            {
                if (header[i].Length == 0)
                    throw new InvalidDataException($"'{path}' line 1: column {i + 1} of the header has no name.");
                if (Array.IndexOf(header, header[i]) < i)
                    throw new InvalidDataException($"'{path}' line 1: column name '{header[i]}' appears twice in the header.");
            }
            return new CsvFile(path, parser, header);
        }
        catch
        {
            parser.Dispose();
            throw;
        }
    }

    /// <summary>The rows after the header, each with its line number (from 1, the header's); blank lines are skipped.</summary>
    /// <exception cref="InvalidDataException">A row has more or fewer cells than the header, or a quote is not closed.</exception>
    public IEnumerable<(long Line, string[] Cells)> Rows()
    {
        while (true)
        {
            long line = _parser.LineNumber;
            if (ReadFields(_parser, Path) is not { } cells) yield break;
            if (cells.Length != Header.Length)
                throw new InvalidDataException($"'{Path}' line {line}: {cells.Length} cells; the header names {Header.Length} columns.");
            yield return (line, cells);
        }
    }

    static string[]? ReadFields(TextFieldParser parser, string path)
    {
        try
        {
            return parser.ReadFields();
        }
        catch (MalformedLineException e)
        {
            throw new InvalidDataException($"'{path}' line {e.LineNumber}: the line cannot be read as comma-separated values (a quote not closed?).", e);
        }
    }

    public void Dispose() => _parser.Dispose();
}
