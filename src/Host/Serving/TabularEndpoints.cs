using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.ML;
using MlNetMnist.Host.Tabular;
using MlNetMnist.Trainers;

namespace MlNetMnist.Host.Serving;

/// <summary>A CSV model loaded for `serve`, with the identity answers carry (the first 12 hex digits of the zip's SHA-256).</summary>
internal sealed class TabularServed
{
    TabularServed(MLContext ml, TabularModel model, string sha256) => (Ml, Model, Sha256) = (ml, model, sha256);

    public MLContext Ml { get; }

    public TabularModel Model { get; }

    public string Sha256 { get; }

    public string Id => Sha256[..12];

    public static TabularServed Load(string path)
    {
        var ml = new MLContext();
        return new TabularServed(ml, TabularModel.Load(ml, path), Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path))));
    }
}

/// <summary>
/// `serve` for a model trained with `train --csv`: POST /predict takes one JSON object of named column values
/// ({"age": 59, "sex": "F", ...}; every feature column, the label optional) and answers the prediction in the label's
/// terms; GET /model describes the columns it reads; GET /health names the model. A body that is not such an object, a
/// missing or unknown column, or a value of the wrong type is answered 400 naming the column.
/// </summary>
internal static class TabularEndpoints
{
    /// <summary>The answer: regression a score; binary the predicted label, the positive class's probability and the logit; multiclass the predicted label and each class's probability.</summary>
    internal sealed record TabularResponse(
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? PredictedLabel,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] float? Score,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] float? Probability,
        [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, float>? Probabilities,
        string Model);

    public static void Map(WebApplication app, TabularServed served, ServeOptions options)
    {
        var schema = served.Model.Schema;
        app.MapGet("/health", () => Results.Json(new { status = "ok", model = served.Id }));
        app.MapGet("/model", () => Results.Json(new
        {
            id = served.Id,
            sha256 = served.Sha256,
            task = TabularSchema.TaskName(schema.Task),
            label = schema.Label,
            positive = schema.Positive,
            classes = schema.Classes,
            columns = schema.Features.Select(c => new { name = c.Name, type = c.Kind == ColumnKind.Number ? "number" : "text" }),
            layers = served.Model.Mlp.Network.LayerSizes,
            weightsSha256 = served.Model.Mlp.Network.WeightsSha256(),
            training = served.Model.Mlp.Training,
        }, ServeApp.Indented));
        app.MapPost("/predict", async (HttpContext context) =>
        {
            if (await ServeApp.ReadBodyAsync(context, options) is not { } body) return ServeApp.TooLarge(options);
            try
            {
                var row = TabularRows.FromValues(schema, Values(body, schema), "The request");
                var p = TabularScoring.Predict(served.Ml, served.Model, TabularRows.Load(served.Model, [row]))[0];
                return Results.Json(schema.Task switch
                {
                    MlpTask.Regression => new TabularResponse(null, p.Score, null, null, served.Id),
                    MlpTask.BinaryClassification => new TabularResponse(p.Predicted, p.Score, p.Probabilities![schema.Positive!], null, served.Id),
                    _ => new TabularResponse(p.Predicted, null, null, p.Probabilities, served.Id),
                });
            }
            catch (BadRowException e)
            {
                return ServeApp.Error(e.Message);
            }
        });
    }

    /// <summary>The body as column values: a JSON object whose values are numbers, strings or Booleans.</summary>
    /// <exception cref="BadRowException">Not a JSON object, or a value of another kind (the message names its column).</exception>
    static Dictionary<string, string> Values(byte[] body, TabularSchema schema)
    {
        string example = "{" + string.Join(", ", schema.Features.Take(3).Select(c => $"\"{c.Name}\": {(c.Kind == ColumnKind.Number ? "1.5" : "\"text\"")}")) + (schema.Features.Count() > 3 ? ", ..." : "") + "}";
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            throw new BadRowException($"The body is not JSON; send an object of column values such as {example}.");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new BadRowException($"The body is JSON {document.RootElement.ValueKind.ToString().ToLowerInvariant()}, not an object of column values such as {example}.");
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
                values[property.Name] = property.Value.ValueKind switch
                {
                    JsonValueKind.String => property.Value.GetString()!,
                    JsonValueKind.Number => property.Value.GetDouble().ToString("R", CultureInfo.InvariantCulture),
                    JsonValueKind.True or JsonValueKind.False => property.Value.GetRawText(),
                    var kind => throw new BadRowException(
                        $"The request: column '{property.Name}' is a JSON {kind.ToString().ToLowerInvariant()}; give a number or a string."),
                };
            return values;
        }
    }
}
