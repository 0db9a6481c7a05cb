using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using MlNetMnist.DataViews;
using SkiaSharp;

namespace MlNetMnist.Tests.Host.Serving;

/// <summary>`serve`'s endpoints over HTTP, on a real Kestrel bound to a free port.</summary>
[TestClass]
public sealed class ServeEndpointTests
{
    static TempDirectory _dir = null!;
    static string _served = null!;
    static RunningServer _server = null!;

    sealed record Answer(string Digit, float[] Probabilities, string Model);

    [ClassInitialize]
    public static async Task Start(TestContext _)
    {
        _dir = TestData.TempDirectory();
        _served = _dir.File("served.zip");
        File.Copy(ServingModels.First, _served);
        _server = await RunningServer.StartAsync(_served, maxBodyBytes: 1 << 20);
    }

    [ClassCleanup]
    public static async Task Stop()
    {
        await _server.DisposeAsync();
        _dir.Dispose();
    }

    static StringContent PixelsJson(IEnumerable<object> pixels) =>
        new($"{{\"pixels\":[{string.Join(',', pixels)}]}}", Encoding.UTF8, "application/json");

    [TestMethod]
    public async Task Predict_Pixels_AnswersWhatAPredictionEngineSays_WithTheModelsIdentity()
    {
        var expected = ServingModels.Offline(ServingModels.First);
        string health = await _server.Http.GetStringAsync("health");
        string id = JsonDocument.Parse(health).RootElement.GetProperty("model").GetString()!;
        for (int row = 0; row < 20; row++)
        {
            var response = await _server.Http.PostAsync("predict", PixelsJson(ServingModels.Test[row].Pixels.Cast<object>()));
            Assert.AreEqual(HttpStatusCode.OK, response.StatusCode);
            var answer = (await response.Content.ReadFromJsonAsync<Answer>())!;
            Assert.AreEqual(expected[row].PredictedDigit, answer.Digit, $"row {row}");
            CollectionAssert.AreEqual(expected[row].Score, answer.Probabilities, $"row {row}: bit for bit");
            Assert.AreEqual(id, answer.Model);
        }
    }

    [TestMethod]
    public async Task Predict_PngOfATestDigit_LargeAndDarkOnLight_GivesItsDigit()
    {
        // Test row 0 (a 7) drawn 10 times larger, black on white, as a user's picture would be.
        var digit = ServingModels.Test[0];
        using var bitmap = new SKBitmap(280, 280, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        for (int y = 0; y < 280; y++)
            for (int x = 0; x < 280; x++)
            {
                byte v = (byte)(255 - digit.Pixels[y / 10 * 28 + x / 10]);
                bitmap.SetPixel(x, y, new SKColor(v, v, v));
            }
        using var png = SKImage.FromBitmap(bitmap).Encode(SKEncodedImageFormat.Png, 100);
        var content = new ByteArrayContent(png.ToArray());
        content.Headers.ContentType = new("image/png");
        var response = await _server.Http.PostAsync("predict", content);
        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, await response.Content.ReadAsStringAsync());
        var answer = (await response.Content.ReadFromJsonAsync<Answer>())!;
        Assert.AreEqual(ServingModels.Offline(ServingModels.First)[0].PredictedDigit, answer.Digit);
        Assert.AreEqual(10, answer.Probabilities.Length);
    }

    public static IEnumerable<object[]> BadBodies() =>
    [
        ["no body", Array.Empty<byte>(), "no body"],
        ["not an image", Encoding.UTF8.GetBytes("hello, server"), "could not be read"],
        ["wrong pixel count", Encoding.UTF8.GetBytes("{\"pixels\":[1,2,3]}"), "holds 3 values; expected 784"],
        ["NaN", Encoding.UTF8.GetBytes($"{{\"pixels\":[{string.Join(',', Enumerable.Repeat("0", 783))},\"NaN\"]}}"), "Pixel 783 is NaN"],
        ["out of range", Encoding.UTF8.GetBytes($"{{\"pixels\":[-1{string.Concat(Enumerable.Repeat(",0", 783))}]}}"), "Pixel 0 is -1"],
        ["broken JSON", Encoding.UTF8.GetBytes("{\"pixels\":[1,2"), "The JSON body is not"],
        ["no pixels", Encoding.UTF8.GetBytes("{\"image\":1}"), "no \"pixels\" array"],
        ["oversized", new byte[(1 << 20) + 1], "larger than the limit of 1048576 bytes"],
        ["blank image", BlankPng(), "no digit found"],
    ];

    static byte[] BlankPng()
    {
        using var bitmap = new SKBitmap(50, 50);
        bitmap.Erase(SKColors.White);
        using var png = SKImage.FromBitmap(bitmap).Encode(SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    /// <summary>The case's name only: the oversized body's megabyte of zeros printed in the test's name flooded the log.</summary>
    public static string BadBodyName(System.Reflection.MethodInfo method, object[] data) => $"{method.Name} ({data[0]})";

    [TestMethod]
    [DynamicData(nameof(BadBodies), DynamicDataDisplayName = nameof(BadBodyName))]
    public async Task BadRequest_Gets400_WithAOneLineJsonError(string what, byte[] body, string message)
    {
        // "Expect: 100-continue", as curl sends for large bodies: the server can refuse before the body is sent. Without
        // it the client may still be writing a megabyte when the server answers and closes, and read a reset instead.
        var request = new HttpRequestMessage(HttpMethod.Post, "predict") { Content = new ByteArrayContent(body) };
        request.Headers.ExpectContinue = body.Length > 1 << 16;
        var response = await _server.Http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        Assert.AreEqual(HttpStatusCode.BadRequest, response.StatusCode, $"{what}: {text}");
        Assert.AreEqual("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString(), what);
        Assert.DoesNotContain("\n", text, what);
        string error = JsonDocument.Parse(text).RootElement.GetProperty("error").GetString()!;
        StringAssert.Contains(error, message, what);
    }

    [TestMethod]
    public async Task OversizedChunkedUpload_IsStoppedAtTheLimit_With400()
    {
        // No Content-Length: Kestrel counts the bytes as they arrive.
        var content = new StreamContent(new MemoryStream(new byte[3 << 20]));
        var request = new HttpRequestMessage(HttpMethod.Post, "predict") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        var response = await _server.Http.SendAsync(request);
        Assert.AreEqual(HttpStatusCode.BadRequest, response.StatusCode);
        StringAssert.Contains(await response.Content.ReadAsStringAsync(), "larger than the limit");
    }

    [TestMethod]
    public async Task Model_DescribesLayersRecipeAndTestAccuracy()
    {
        // The metrics JSON `train` writes beside a zip: its Test object is shown when its Training matches the zip's.
        using var metrics = JsonDocument.Parse(await _server.Http.GetStringAsync("model"));
        var root = metrics.RootElement;
        CollectionAssert.AreEqual(new[] { 784, 32, 10 }, root.GetProperty("layers").EnumerateArray().Select(e => e.GetInt32()).ToArray());
        Assert.AreEqual(1, root.GetProperty("training").GetProperty("epochs").GetInt32());
        Assert.AreEqual(64, root.GetProperty("sha256").GetString()!.Length);
        Assert.AreEqual(JsonValueKind.Null, root.GetProperty("test").ValueKind, "no metrics file beside this zip");
    }

    [TestMethod]
    public async Task Model_ShowsTheTestMetricsTrainWroteBesideTheZip_OnlyWhenTheyDescribeThisModel()
    {
        var ml = new Microsoft.ML.MLContext();
        var mlp = ((IEnumerable<Microsoft.ML.ITransformer>)ml.Model.Load(_served, out _))
            .OfType<Microsoft.ML.Data.MulticlassPredictionTransformer<MlNetMnist.Trainers.MlpModelParameters>>().Single().Model;
        string metrics = Path.ChangeExtension(_served, ".metrics.json");
        try
        {
            File.WriteAllText(metrics, JsonSerializer.Serialize(new { mlp.Training, Test = new { MicroAccuracy = 0.9123 } }));
            using (var shown = JsonDocument.Parse(await _server.Http.GetStringAsync("model")))
                Assert.AreEqual(0.9123, shown.RootElement.GetProperty("test").GetProperty("MicroAccuracy").GetDouble());
            File.WriteAllText(metrics, JsonSerializer.Serialize(new { Training = mlp.Training with { Epochs = 99 }, Test = new { MicroAccuracy = 0.5 } }));
            using (var stale = JsonDocument.Parse(await _server.Http.GetStringAsync("model")))
                Assert.AreEqual(JsonValueKind.Null, stale.RootElement.GetProperty("test").ValueKind, "another model's metrics");
        }
        finally
        {
            File.Delete(metrics);
        }
    }

    [TestMethod]
    public async Task Page_IsServed_WithItsCanvasAndClearButton()
    {
        var response = await _server.Http.GetAsync("");
        Assert.AreEqual("text/html; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        string html = await response.Content.ReadAsStringAsync();
        StringAssert.Contains(html, "<canvas id=\"pad\"");
        StringAssert.Contains(html, "id=\"clear\"");
    }
}
