using System.CommandLine;
using Microsoft.ML;
using MlNetMnist.DataViews;
using MlNetMnist.Host.Serving;
using Spectre.Console;

namespace MlNetMnist.Host.Commands;

/// <summary>`loadtest`: many clients against an in-process `serve`, answers checked against offline predictions.</summary>
internal static class LoadTestCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var model = CommonOptions.Model();
        var swap = new Option<FileInfo>("--swap") { Description = "A second model zip copied over the served one halfway through." }.AcceptExistingOnly();
        var clients = new Option<int>("--clients") { Description = "Concurrent clients.", DefaultValueFactory = _ => 16, CustomParser = result => CommonOptions.AtLeast(1)(result) };
        var requests = new Option<int>("--requests") { Description = "Requests in all.", DefaultValueFactory = _ => 100_000, CustomParser = result => CommonOptions.AtLeast(1)(result) };
        var duration = new Option<TimeSpan?>("--duration")
        {
            Description = "Run for this long instead of --requests (a soak): 90s, 10m, 1h.",
            CustomParser = result => ParseDuration(result),
        };
        var data = CommonOptions.Data();
        var command = new Command("loadtest", "Post test digits to an in-process server from many clients; report throughput, latency, wrong answers, " +
                                              "resident memory after warm-up and at the end, and whether the server's /metrics counted the same.")
            { model, swap, clients, requests, duration, data };
        command.SetAction(async (parse, cancellation) =>
        {
            var ml = new MLContext();
            var test = ml.Data.LoadMnist(await CommonOptions.FilesAsync(parse.GetValue(data), null, cancellation)).Test;
            var digits = ml.Data.CreateEnumerable<Digit>(test, reuseRowObject: false).ToArray();
            var r = await LoadTest.RunAsync(new LoadTest.LoadTestOptions(parse.GetValue(model)!.FullName, digits,
                parse.GetValue(clients), parse.GetValue(requests), parse.GetValue(swap)?.FullName) { Duration = parse.GetValue(duration) }, cancellation);
            var table = new Table().AddColumns("requests", "clients", "seconds", "predictions/s", "p50 ms", "p99 ms", "max ms", "errors", "mismatches");
            table.AddRow(r.Requests.ToString("N0"), parse.GetValue(clients).ToString(), r.Elapsed.TotalSeconds.ToString("F2"), r.PerSecond.ToString("N0"),
                r.P50Ms.ToString("F2"), r.P99Ms.ToString("F2"), r.MaxMs.ToString("F1"), r.Errors.ToString(), r.Mismatches.ToString());
            console.Write(table);
            console.MarkupLine(Markup.Escape("answers by model: " + string.Join(", ", r.AnswersByModel.Select(p => $"{p.Key} {p.Value:N0}"))));
            console.MarkupLine($"resident memory: {r.ResidentAfterWarmUp / 1e6:F1} MB after warm-up, {r.ResidentAtEnd / 1e6:F1} MB at the end " +
                               $"({(r.ResidentAtEnd - r.ResidentAfterWarmUp) * 100.0 / r.ResidentAfterWarmUp:+0.0;-0.0} %)");
            console.MarkupLine($"server /metrics: {r.Server.Answered:N0} /predict answered with 200, predictions by digit " +
                               (r.ServerAgrees ? "as the clients counted" : Markup.Escape(string.Join(" ", r.Server.PredictionsByDigit.Select(p => $"{p.Key}:{p.Value}"))) + " [bold]differ from the clients'[/]"));
            if (r.FirstProblem is not null)
                console.MarkupLine(Markup.Escape($"first problem: {r.FirstProblem}"));
            return r.Errors == 0 && r.Mismatches == 0 && r.FirstProblem is null && r.ServerAgrees ? Cli.Success : Cli.Failure;
        });
        return command;
    }

    /// <summary>A positive duration as a number of seconds, minutes or hours (90s, 10m, 1h), or as a TimeSpan (00:10:00).</summary>
    static TimeSpan? ParseDuration(System.CommandLine.Parsing.ArgumentResult result)
    {
        string text = result.Tokens[0].Value;
        TimeSpan? value = text.Length > 1 && double.TryParse(text[..^1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double n)
            ? text[^1] switch { 's' => TimeSpan.FromSeconds(n), 'm' => TimeSpan.FromMinutes(n), 'h' => TimeSpan.FromHours(n), _ => null }
            : TimeSpan.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var span) ? span : null;
        if (value is not { } duration || duration <= TimeSpan.Zero)
            result.AddError($"--duration expects a positive duration such as 90s, 10m or 1h, got '{text}'.");
        return value;
    }
}
