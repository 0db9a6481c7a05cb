using System.CommandLine;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MlNetMnist.Host.Serving;
using Spectre.Console;

namespace MlNetMnist.Host.Commands;

/// <summary>`serve`: the model behind a web service (POST /predict, GET /model, /health) with a page to draw digits on.</summary>
internal static class ServeCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var model = CommonOptions.Model();
        var urls = new Option<string>("--urls") { Description = "Where to listen (semicolon-separated URLs).", DefaultValueFactory = _ => "http://127.0.0.1:5000" };
        var noWatch = new Option<bool>("--no-watch") { Description = "Do not reload the model when its file is replaced." };
        var command = new Command("serve", "Serve the model over HTTP, with a page to draw digits on; Ctrl+C stops.") { model, urls, noWatch };
        command.SetAction(async (parse, cancellation) =>
        {
            var options = new ServeOptions(parse.GetValue(model)!.FullName, parse.GetValue(urls)!) { Watch = !parse.GetValue(noWatch) };
            WebApplication app;
            try
            {
                app = ServeApp.Build(options);
            }
            catch (UriFormatException e)
            {
                throw new BadArgumentException($"--urls: {e.Message}");
            }
            var tally = app.Services.GetRequiredService<RequestTally>();
            await using (app)
            {
                await app.StartAsync(cancellation);
                console.MarkupLine($"serving {Markup.Escape(options.ModelPath)} on [bold]{Markup.Escape(string.Join(" ", ServeApp.Addresses(app)))}[/]; Ctrl+C stops.");
                // Ends on Ctrl+C (the token) or on SIGTERM (the host's own lifetime), stopping the server gracefully.
                await app.WaitForShutdownAsync(cancellation);
            }
            console.MarkupLine($"stopped: answered {tally.Started - tally.Running:N0} requests, {tally.Running} unfinished.");
            return Cli.Success;
        });
        return command;
    }
}
