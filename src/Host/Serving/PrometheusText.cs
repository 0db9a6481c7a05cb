using System.Globalization;

namespace MlNetMnist.Host.Serving;

/// <summary>Samples of a Prometheus text exposition (what `serve`'s GET /metrics returns), looked up by name and labels; `loadtest` checks the server's counts with it.</summary>
internal sealed class PrometheusText(string text)
{
    readonly string[] _lines = text.Split('\n').Where(l => l.Length > 0 && l[0] != '#').ToArray();

    /// <summary>The exposition as scraped.</summary>
    public string Text => text;

    /// <summary>The sum of the samples named <paramref name="name"/> whose labels include every one of <paramref name="labels"/> (name=value).</summary>
    public double Sum(string name, params string[] labels) =>
        _lines.Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) || l.StartsWith(name + " ", StringComparison.Ordinal))
              .Where(l => labels.All(label => l.Contains(Quoted(label), StringComparison.Ordinal)))
              .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));

    static string Quoted(string label)
    {
        int eq = label.IndexOf('=');
        return $"{label[..eq]}=\"{label[(eq + 1)..]}\"";
    }
}
