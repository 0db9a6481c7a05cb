using Microsoft.AspNetCore.Builder;
using MlNetMnist.Host.Serving;

namespace MlNetMnist.Tests.Host.Serving;

/// <summary>`serve`'s app on a free port of 127.0.0.1 (real Kestrel, as a browser reaches it), with a client for it.</summary>
internal sealed class RunningServer : IAsyncDisposable
{
    readonly WebApplication _app;

    RunningServer(WebApplication app, string url)
    {
        _app = app;
        Url = url;
        Http = new HttpClient { BaseAddress = new Uri(url) };
    }

    public string Url { get; }

    public HttpClient Http { get; }

    public static async Task<RunningServer> StartAsync(string modelPath, long maxBodyBytes = 4 << 20)
    {
        var app = ServeApp.Build(new ServeOptions(modelPath, "http://127.0.0.1:0") { Quiet = true, MaxBodyBytes = maxBodyBytes });
        await app.StartAsync();
        return new RunningServer(app, ServeApp.Addresses(app).First() + "/");
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
