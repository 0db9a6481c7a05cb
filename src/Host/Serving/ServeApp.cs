using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMnist.DataViews;
using MlNetMnist.Host.Tabular;
using MlNetMnist.Trainers;
using MlNetMnist.Trainers.Serving;
using OpenTelemetry.Metrics;

namespace MlNetMnist.Host.Serving;

/// <summary>The web service of `serve`: a pooled, watched model behind a minimal API, and the drawing page.</summary>
internal static class ServeApp
{
    public static WebApplication Build(ServeOptions options)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls(options.Urls);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = options.MaxBodyBytes);
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(console => { console.SingleLine = true; console.TimestampFormat = "HH:mm:ss "; });
        builder.Logging.SetMinimumLevel(options.Quiet ? LogLevel.Warning : LogLevel.Information);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        // A model trained on a CSV answers JSON rows of named values (TabularEndpoints); an MNIST model, images and pixels.
        bool tabular = TabularModel.IsTabular(options.ModelPath);
        if (tabular)
            builder.Services.AddSingleton(_ => TabularServed.Load(options.ModelPath));
        else
        {
            builder.Services.AddPredictionEnginePool<Digit, DigitPrediction>(pool =>
            {
                pool.ModelPath = options.ModelPath;
                pool.WatchForChanges = options.Watch;
            });
            builder.Services.AddSingleton<ServeMetrics>();
        }
        builder.Services.AddSingleton<RequestTally>();
        // ASP.NET Core's own request metrics (http.server.request.duration by route and status) and ours, scraped fresh each time.
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddAspNetCoreInstrumentation()
            .AddMeter(ServeMetrics.MeterName)
            .AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0));

        var app = builder.Build();
        var tally = app.Services.GetRequiredService<RequestTally>();
        app.Use((context, next) => tally.Track(() => next(context)));
        // SIGTERM or Ctrl+C: Kestrel stops accepting connections, then waits for the requests it accepted to finish.
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("MlNetMnist.Serve");
        app.Lifetime.ApplicationStopping.Register(() =>
            log.LogInformation("Stopping: no new connections; finishing {Running} requests in flight", tally.Running));
        // Whatever escapes a handler: a one-line JSON 500, never a stack trace.
        app.UseExceptionHandler(error => error.Run(context =>
        {
            bool badHttp = context.Features.Get<IExceptionHandlerFeature>()?.Error is BadHttpRequestException;
            return Error(badHttp ? "The request could not be read." : "Internal error.",
                badHttp ? StatusCodes.Status400BadRequest : StatusCodes.Status500InternalServerError).ExecuteAsync(context);
        }));
        app.MapPrometheusScrapingEndpoint().DisableHttpMetrics(); // GET /metrics; scrapes are not counted as requests
        // Load the model now: a bad file fails `serve` at start rather than the first request.
        if (tabular)
            TabularEndpoints.Map(app, app.Services.GetRequiredService<TabularServed>(), options);
        else
            MapDigitEndpoints(app, options);
        return app;
    }

    /// <summary>The MNIST model's endpoints: the drawing page, /health, /model and POST /predict of an image or pixels.</summary>
    static void MapDigitEndpoints(WebApplication app, ServeOptions options)
    {
        var pool = app.Services.GetRequiredService<PredictionEnginePool<Digit, DigitPrediction>>();
        var served = app.Services.GetRequiredService<ServeMetrics>();
        app.MapGet("/", () => Results.Content(Page.Value, "text/html; charset=utf-8"));
        app.MapGet("/health", () => Results.Json(new { status = "ok", model = pool.Current.Id }));
        app.MapGet("/model", () => Results.Json(Describe(pool.Current), Indented));
        app.MapPost("/predict", async (HttpContext context) =>
        {
            if (await ReadBodyAsync(context, options) is not { } body) return TooLarge(options);
            try
            {
                var digit = PredictInput.Parse(body);
                var model = pool.Current; // read once: the answer and its identity come from one model
                var prediction = model.Predict(digit);
                served.Predicted(prediction.PredictedDigit);
                return Results.Json(new PredictResponse(prediction.PredictedDigit, prediction.Score, model.Id));
            }
            catch (BadRequestException e)
            {
                return Error(e.Message);
            }
        });
    }

    /// <summary>The addresses Kestrel listens on (the real port when asked for port 0).</summary>
    public static IReadOnlyCollection<string> Addresses(WebApplication app) =>
        app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.ToArray();

    internal sealed record PredictResponse(string Digit, float[] Probabilities, string Model);

    internal static readonly JsonSerializerOptions Indented = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    internal static IResult Error(string message, int status = StatusCodes.Status400BadRequest) =>
        Results.Json(new { error = message.ReplaceLineEndings(" ") }, statusCode: status);

    /// <summary>The request body, or null when it is larger than <see cref="ServeOptions.MaxBodyBytes"/> (answer <see cref="TooLarge"/>).</summary>
    internal static async Task<byte[]?> ReadBodyAsync(HttpContext context, ServeOptions options)
    {
        var request = context.Request;
        try
        {
            if (request.ContentLength > options.MaxBodyBytes)
                throw new BadHttpRequestException("too large", StatusCodes.Status413PayloadTooLarge);
            var buffer = new MemoryStream(request.ContentLength is long length ? (int)length : 4096);
            await request.Body.CopyToAsync(buffer, context.RequestAborted); // Kestrel stops a chunked body at MaxRequestBodySize (413)
            return buffer.Length == buffer.Capacity ? buffer.GetBuffer() : buffer.ToArray();
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // The rest of the body is not read: the connection cannot carry another request.
            context.Response.Headers.Connection = "close";
            return null;
        }
    }

    internal static IResult TooLarge(ServeOptions options) =>
        Error(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"The body is larger than the limit of {options.MaxBodyBytes} bytes."));

    /// <summary>
    /// GET /model: the model's identity, layers, the training recipe and history stored in the zip, and the test metrics
    /// `train` wrote beside it; nothing about where the server keeps its files.
    /// </summary>
    static object Describe(ServedModel<Digit, DigitPrediction> model)
    {
        var mlp = (model.Model as IEnumerable<ITransformer> ?? [model.Model])
            .OfType<MulticlassPredictionTransformer<MlpModelParameters>>().FirstOrDefault()?.Model;
        return new
        {
            id = model.Id,
            sha256 = model.Sha256,
            weightsSha256 = mlp?.Network.WeightsSha256(),
            loadedAt = model.LoadedAt,
            layers = mlp?.Network.LayerSizes,
            parameters = mlp?.Network.ParameterCount,
            training = mlp?.Training,
            test = mlp is null ? null : TestMetrics(model.Path, mlp.Training),
        };
    }

    /// <summary>
    /// The "Test" object of the metrics JSON that `train` writes next to the zip, when that file describes this model (same
    /// training record): a zip copied over another leaves a stale metrics file behind.
    /// </summary>
    static JsonNode? TestMetrics(string? zipPath, MlpTrainingInfo training)
    {
        if (zipPath is null) return null;
        string metrics = Path.ChangeExtension(zipPath, ".metrics.json");
        try
        {
            var node = JsonNode.Parse(File.ReadAllText(metrics));
            return JsonNode.DeepEquals(node?["Training"], JsonSerializer.SerializeToNode(training)) ? node?["Test"]?.DeepClone() : null;
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    static readonly Lazy<string> Page = new(() =>
    {
        using var stream = typeof(ServeApp).Assembly.GetManifestResourceStream("MlNetMnist.Host.Serving.page.html")
            ?? throw new InvalidOperationException("The drawing page is missing from the assembly.");
        return new StreamReader(stream).ReadToEnd();
    });
}
