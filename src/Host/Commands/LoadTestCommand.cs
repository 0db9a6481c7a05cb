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
        var data = CommonOptions.Data();
        var command = new Command("loadtest", "Post test digits to an in-process server from many clients; report throughput, latency and wrong answers.")
            { model, swap, clients, requests, data };
        command.SetAction(async (parse, cancellation) =>
        {
            var ml = new MLContext();
            var test = ml.Data.LoadMnist(await CommonOptions.FilesAsync(parse.GetValue(data), null, cancellation)).Test;
            var digits = ml.Data.CreateEnumerable<Digit>(test, reuseRowObject: false).ToArray();
            var r = await LoadTest.RunAsync(new LoadTest.LoadTestOptions(parse.GetValue(model)!.FullName, digits,
                parse.GetValue(clients), parse.GetValue(requests), parse.GetValue(swap)?.FullName), cancellation);
            var table = new Table().AddColumns("requests", "clients", "seconds", "predictions/s", "p50 ms", "p99 ms", "max ms", "errors", "mismatches");
            table.AddRow(r.Requests.ToString("N0"), parse.GetValue(clients).ToString(), r.Elapsed.TotalSeconds.ToString("F2"), r.PerSecond.ToString("N0"),
                r.P50Ms.ToString("F2"), r.P99Ms.ToString("F2"), r.MaxMs.ToString("F1"), r.Errors.ToString(), r.Mismatches.ToString());
            console.Write(table);
            console.MarkupLine(Markup.Escape("answers by model: " + string.Join(", ", r.AnswersByModel.Select(p => $"{p.Key} {p.Value:N0}"))));
            if (r.FirstProblem is not null)
                console.MarkupLine(Markup.Escape($"first problem: {r.FirstProblem}"));
            return r.Errors == 0 && r.Mismatches == 0 && r.FirstProblem is null ? Cli.Success : Cli.Failure;
        });
        return command;
    }
}
