using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using MlNetMnist.Host.Tabular;
using MlNetMnist.Tests.Host.Serving;

namespace MlNetMnist.Tests.Host;

/// <summary>
/// `train --csv` and what reads its model (evaluate, predict, info, export, serve), run in-process on scikit-learn's
/// CSVs and on generated sets with a text column, each checked against the zip loaded by plain ML.NET
/// (<c>ml.Model.LoadWithDataLoader</c> and the loader saved in it).
/// </summary>
[TestClass]
public sealed class TabularCliTests
{
    static TempDirectory _dir = null!;
    static Dictionary<string, TabularCsvs.Set> _sets = null!;
    static readonly Dictionary<string, string> TrainOutput = [];

    [ClassInitialize]
    public static async Task TrainEach(TestContext _)
    {
        _dir = TestData.TempDirectory();
        _sets = TabularCsvs.WriteAll(_dir.Path).ToDictionary(s => s.Name);
        foreach (var set in _sets.Values)
        {
            string[] positive = set.Name == "cancer" ? ["--positive", "malignant"] : [];
            var (exit, output, error) = await TestCli.Run(["train", "--csv", set.Path, "--label", set.Label, "--task", set.Task,
                "--epochs", "40", "--out", Zip(set), .. positive]);
            Assert.AreEqual(0, exit, $"{set.Name}: {error}");
            TrainOutput[set.Name] = output;
        }
    }

    [ClassCleanup]
    public static void Cleanup() => _dir?.Dispose();

    static string Zip(TabularCsvs.Set set) => _dir.File(set.Name + ".zip");

    /// <summary>The zip as a user's app loads it: plain ML.NET, the CSV read by the loader saved in the zip.</summary>
    static (MLContext Ml, IDataView Scored) Plain(TabularCsvs.Set set)
    {
        var ml = new MLContext();
        var model = ml.Model.LoadWithDataLoader(Zip(set), out IDataLoader<IMultiStreamSource> loader);
        return (ml, model.Transform(loader.Load(set.Path)));
    }

    /// <summary>The data rows of a table Spectre printed, as trimmed cells.</summary>
    static List<string[]> TableRows(string output) =>
        output.Split('\n').Where(l => l.StartsWith('│')).Select(l => l.Trim().Trim('│').Split('│').Select(c => c.Trim()).ToArray()).ToList();

    static double Metric(string output, string metric) =>
        double.Parse(TableRows(output).First(r => r[0] == metric)[1], CultureInfo.InvariantCulture);

    static string PositiveOf(string name) => name == "cancer" ? "malignant" : "yes";

    /// <summary>Plain ML.NET's predictions as `predict` prints them: the number, or the class name.</summary>
    static string[] PlainPredictions(TabularCsvs.Set set, IDataView scored) => set.Task switch
    {
        "regression" => scored.GetColumn<float>("Score").Select(s => s.ToString("G6", CultureInfo.InvariantCulture)).ToArray(),
        "binary" => scored.GetColumn<bool>("PredictedLabel").Select(p => p ? PositiveOf(set.Name) : CsvCells(set).Skip(1).Select(r => r[^1]).First(v => v != PositiveOf(set.Name))).ToArray(),
        _ => scored.GetColumn<ReadOnlyMemory<char>>("PredictedClass").Select(c => c.ToString()).ToArray(),
    };

    /// <summary>The test CSVs' cells (quotes removed; a quoted cell may hold a comma); the header first.</summary>
    static List<string[]> CsvCells(TabularCsvs.Set set) =>
        File.ReadAllLines(set.Path).Select(line => Regex.Matches(line, "\"([^\"]*)\"|([^,]+)").Select(m => m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value).ToArray()).ToList();

    public static IEnumerable<object[]> Sets => new[] { "diabetes", "cancer", "wine", "shop-regression", "shop-binary", "shop-multiclass" }
        .Select(name => new object[] { name });

    [TestMethod]
    [DynamicData(nameof(Sets))]
    public void Train_PrintsTheSchema_AndSavesAZipThatPlainMlNetLoads(string name)
    {
        var set = _sets[name];
        var rows = TableRows(TrainOutput[name]);
        var header = CsvCells(set)[0];
        foreach (string column in header.Where(c => c != set.Label))
        {
            var row = rows.First(r => r[0] == column);
            CollectionAssert.AreEqual(column == "region" ? new[] { "text", "feature (one-hot)" } : ["number", "feature (normalised)"], row[1..], column);
        }
        StringAssert.StartsWith(rows.First(r => r[0] == set.Label)[2], $"label ({set.Task}");
        Assert.IsTrue(double.IsFinite(Metric(TrainOutput[name], set.Metric)), "the test metrics are printed");

        var ml = new MLContext();
        var model = ml.Model.Load(Zip(set), out var schema); // what a user's app calls
        CollectionAssert.AreEqual(header, schema.Select(c => c.Name).ToArray(), "the input schema is the CSV's columns");
        Assert.IsNotNull(model);
        Assert.IsEmpty(Directory.GetFiles(_dir.Path, "*.tmp"));
    }

    [TestMethod]
    [DynamicData(nameof(Sets))]
    public async Task Evaluate_OnTheCsv_PrintsWhatMlNetsEvaluatorSays(string name)
    {
        var set = _sets[name];
        var (exit, output, error) = await TestCli.Run("evaluate", "--model", Zip(set), "--csv", set.Path);
        Assert.AreEqual(0, exit, error);
        double printed = Metric(output, set.Metric);
        var (ml, scored) = Plain(set);
        double expected = set.Task switch
        {
            "regression" => ml.Regression.Evaluate(scored).RSquared,
            "binary" => ml.BinaryClassification.Evaluate(scored).AreaUnderRocCurve,
            _ => ml.MulticlassClassification.Evaluate(scored).MicroAccuracy,
        };
        Console.WriteLine($"{name}: {set.Metric} {printed} on all rows");
        Assert.AreEqual(Math.Round(expected, 4), printed, 1e-9);
        Assert.IsTrue(printed >= set.Floor, $"{set.Metric} {printed} below {set.Floor}");
    }

    [TestMethod]
    [DynamicData(nameof(Sets))]
    public async Task Predict_CsvRowsAndValues_AgreeWithPlainMlNet(string name)
    {
        var set = _sets[name];
        var cells = CsvCells(set);
        string values = string.Join(',', cells[0].Zip(cells[1]).Where(p => p.First != set.Label && !p.Second.Contains(',')).Select(p => $"{p.First}={p.Second}"));
        if (values.Split(',').Length != cells[0].Length - 1) return; // the first row holds a comma in a cell: --values cannot give it
        var (exit, output, error) = await TestCli.Run("predict", "--model", Zip(set), "--csv", set.Path, "--values", values);
        Assert.AreEqual(0, exit, error);
        var rows = TableRows(output).Skip(1).ToList(); // the header row
        var expected = PlainPredictions(set, Plain(set).Scored);
        Assert.HasCount(expected.Length + 1, rows);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.AreEqual($"{set.Name}.csv row {i + 1}", rows[i][0]);
            Assert.AreEqual(cells[i + 1][^1], rows[i][1], "the true label beside the prediction");
            Assert.AreEqual(expected[i], rows[i][2], $"row {i + 1}");
        }
        Assert.AreEqual("--values", rows[^1][0]);
        Assert.AreEqual(expected[0], rows[^1][2], "--values of row 1 predicts as row 1");
    }

    [TestMethod]
    [DynamicData(nameof(Sets))]
    public async Task Info_NamesTaskLabelColumnsAndWeights(string name)
    {
        var set = _sets[name];
        var (exit, output, error) = await TestCli.Run("info", "--model", Zip(set));
        Assert.AreEqual(0, exit, error);
        var rows = TableRows(output);
        Assert.AreEqual(set.Task, rows.First(r => r[0] == "task")[1]);
        StringAssert.StartsWith(rows.First(r => r[0] == "label")[1], set.Label);
        var mlp = TabularModel.Load(new MLContext(), Zip(set)).Mlp;
        Assert.AreEqual(mlp.Network.WeightsSha256(), rows.First(r => r[0] == "weights SHA-256")[1]);
        Assert.AreEqual(string.Join(" -> ", mlp.Network.LayerSizes), rows.First(r => r[0] == "layers")[1]);
    }

    [TestMethod]
    [DynamicData(nameof(Sets))]
    public async Task Export_OnnxRuntimeScoresAsMlNet(string name)
    {
        var set = _sets[name];
        string onnx = _dir.File(name + ".onnx");
        var (exit, _, error) = await TestCli.Run("export", "--model", Zip(set), "--onnx", onnx);
        Assert.AreEqual(0, exit, error);
        var cells = CsvCells(set);
        int n = cells.Count - 1;
        using var session = new InferenceSession(onnx);
        CollectionAssert.AreEquivalent(cells[0].Where(c => c != set.Label).ToArray(), session.InputMetadata.Keys.ToArray(),
            "the graph reads the feature columns, not the label");
        var inputs = session.InputMetadata.Select(input =>
        {
            int column = Array.IndexOf(cells[0], input.Key);
            Assert.IsTrue(column >= 0, $"input {input.Key} is a column of the CSV");
            var values = cells.Skip(1).Select(r => r[column]);
            return input.Value.ElementType == typeof(string)
                ? NamedOnnxValue.CreateFromTensor(input.Key, new DenseTensor<string>(values.ToArray(), [n, 1]))
                : NamedOnnxValue.CreateFromTensor(input.Key, new DenseTensor<float>(values.Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray(), [n, 1]));
        }).ToList();
        var scored = Plain(set).Scored;
        string[] columns = set.Task == "binary" ? ["Score", "Probability"] : ["Score"];
        foreach (string column in columns)
        {
            string output = session.OutputMetadata.Keys.Last(k => k.StartsWith(column + ".", StringComparison.Ordinal));
            using var results = session.Run(inputs, [output]);
            var actual = results[0].AsEnumerable<float>().ToArray();
            var expected = set.Task == "multiclass" ? scored.GetColumn<float[]>(column).SelectMany(v => v).ToArray() : scored.GetColumn<float>(column).ToArray();
            Assert.HasCount(expected.Length, actual, column);
            double worst = expected.Zip(actual, (e, o) => Math.Abs(e - o) / Math.Max(1, Math.Abs(e))).Max();
            Assert.IsTrue(worst < 1e-5, $"{column}: ONNX Runtime differs from ML.NET by {worst}");
        }
        if (set.Task == "multiclass")
        {
            using var results = session.Run(inputs, [session.OutputMetadata.Keys.Last(k => k.StartsWith("PredictedClass.", StringComparison.Ordinal))]);
            CollectionAssert.AreEqual(PlainPredictions(set, scored), results[0].AsEnumerable<string>().ToArray(), "class names");
        }
    }

    [TestMethod]
    [DynamicData(nameof(Sets))]
    public async Task Serve_JsonRow_AnswersAsMlNet_AndRefusesBadRowsNamingTheColumn(string name)
    {
        var set = _sets[name];
        var cells = CsvCells(set);
        var (_, scored) = Plain(set);
        await using var server = await RunningServer.StartAsync(Zip(set));
        string Json(Func<string, string, string?> value) => "{" + string.Join(",", cells[0].Zip(cells[1])
            .Where(p => p.First != set.Label).Select(p => (p.First, V: value(p.First, p.Second))).Where(p => p.V is not null).Select(p => $"\"{p.First}\":{p.V}")) + "}";
        string Typed(string column, string cell) => float.TryParse(cell, CultureInfo.InvariantCulture, out _) ? cell : $"\"{cell}\"";

        var response = await server.Http.PostAsync("predict", new StringContent(Json(Typed), Encoding.UTF8, "application/json"));
        string body = await response.Content.ReadAsStringAsync();
        Assert.AreEqual(HttpStatusCode.OK, response.StatusCode, body);
        var answer = JsonDocument.Parse(body).RootElement;
        if (set.Task == "regression")
            Assert.AreEqual(scored.GetColumn<float>("Score").First(), answer.GetProperty("score").GetSingle());
        else
            Assert.AreEqual(PlainPredictions(set, scored)[0], answer.GetProperty("predictedLabel").GetString());
        if (set.Task == "binary")
            Assert.AreEqual(scored.GetColumn<float>("Probability").First(), answer.GetProperty("probability").GetSingle());
        if (set.Task == "multiclass")
            Assert.AreEqual(scored.GetColumn<float[]>("Score").First().Max(), answer.GetProperty("probabilities").GetProperty(PlainPredictions(set, scored)[0]).GetSingle());

        var model = JsonDocument.Parse(await server.Http.GetStringAsync("model")).RootElement;
        Assert.AreEqual(set.Task, model.GetProperty("task").GetString());
        Assert.AreEqual(set.Label, model.GetProperty("label").GetString());
        CollectionAssert.AreEqual(cells[0].Where(c => c != set.Label).ToArray(),
            model.GetProperty("columns").EnumerateArray().Select(c => c.GetProperty("name").GetString()).ToArray(), "GET /model lists the columns a request gives");
        Assert.AreEqual(answer.GetProperty("model").GetString(), JsonDocument.Parse(await server.Http.GetStringAsync("health")).RootElement.GetProperty("model").GetString());

        string numeric = cells[0].First(c => c != set.Label && c != "region");
        foreach (var (bad, mentions) in new[]
        {
            (Json((c, v) => c == numeric ? "\"lots\"" : Typed(c, v)), $"column '{numeric}' is 'lots', not a number"),
            (Json((c, v) => c == numeric ? "[1]" : Typed(c, v)), $"column '{numeric}' is a JSON array"),
            (Json((c, v) => c == numeric ? null : Typed(c, v)), $"column '{numeric}' is missing"),
            (Json(Typed).Replace("{", "{\"nope\":1,"), "'nope' is not a column"),
            ("[1, 2]", "not an object"),
            ("{", "not JSON"),
        })
        {
            var refused = await server.Http.PostAsync("predict", new StringContent(bad, Encoding.UTF8, "application/json"));
            string error = await refused.Content.ReadAsStringAsync();
            Assert.AreEqual(HttpStatusCode.BadRequest, refused.StatusCode, bad);
            StringAssert.Contains(JsonDocument.Parse(error).RootElement.GetProperty("error").GetString(), mentions, bad);
        }
    }

    [TestMethod]
    [DataRow("wine", "--label nope --task regression", "has no column 'nope' for the label")]
    [DataRow("wine", "--label cultivar --task binary", "the label 'cultivar' has 3 distinct values ('cultivar 0', 'cultivar 1', 'cultivar 2'); --task binary needs exactly two.")]
    [DataRow("wine", "--label cultivar --task regression", "line 2: the label 'cultivar' is 'cultivar 0', not a number")]
    [DataRow("cancer", "--label diagnosis --task binary --positive maybe", "--positive 'maybe' is not a value of the label 'diagnosis'")]
    [DataRow("empty", "--label y --task regression", "is empty: expected a header row")]
    [DataRow("header-only", "--label y --task regression", "has a header but no rows")]
    [DataRow("missing-number", "--label y --task regression", "line 3: column 'x' is empty")]
    [DataRow("ragged", "--label y --task regression", "line 3: 1 cells; the header names 2 columns")]
    public async Task Train_BadCsv_ExitsWith1_NamingFileColumnOrValue_AndWritesNoZip(string file, string args, string message)
    {
        string path = _sets.TryGetValue(file, out var set) ? set.Path : _dir.File(file + ".csv");
        File.WriteAllText(_dir.File("empty.csv"), "");
        File.WriteAllText(_dir.File("header-only.csv"), "x,y\n");
        File.WriteAllText(_dir.File("missing-number.csv"), "x,y\n1,2\n,3\n");
        File.WriteAllText(_dir.File("ragged.csv"), "x,y\n1,2\n3\n");
        string zip = _dir.File($"bad-{file}.zip");
        var (exit, _, error) = await TestCli.Run(["train", "--csv", path, .. args.Split(' '), "--epochs", "1", "--out", zip]);
        Assert.AreEqual(1, exit, error);
        StringAssert.Contains(error, path);
        StringAssert.Contains(error, message);
        Assert.AreEqual(1, error.Trim().Split('\n').Length, error);
        Assert.IsFalse(File.Exists(zip));
        Assert.IsEmpty(Directory.GetFiles(_dir.Path, "*.tmp"));
    }

    [TestMethod]
    public async Task Checkpoint_IsACsvModel_ThatEvaluateReads_AndHoldsTheLastEpochsWeights()
    {
        var set = _sets["shop-multiclass"];
        string zip = _dir.File("checkpointed.zip"), checkpoint = _dir.File("checkpoint.zip");
        var (exit, _, error) = await TestCli.Run("train", "--csv", set.Path, "--label", set.Label, "--task", set.Task, "--epochs", "3",
            "--checkpoint", checkpoint, "--out", zip);
        Assert.AreEqual(0, exit, error);
        string Sha(string info) => TableRows(info).First(r => r[0] == "weights SHA-256")[1];
        var (infoExit, info, infoError) = await TestCli.Run("info", "--model", checkpoint);
        Assert.AreEqual(0, infoExit, infoError);
        Assert.AreEqual(Sha((await TestCli.Run("info", "--model", zip)).Out), Sha(info), "the checkpoint after the last epoch holds the final weights");
        Assert.AreEqual("multiclass", TableRows(info).First(r => r[0] == "task")[1]);
        var (evalExit, evaluated, evalError) = await TestCli.Run("evaluate", "--model", checkpoint, "--csv", set.Path);
        Assert.AreEqual(0, evalExit, evalError);
        Assert.IsTrue(Metric(evaluated, "accuracy") > 0.3);
    }

    [TestMethod]
    [DataRow("diabetes")]
    [DataRow("cancer")]
    [DataRow("shop-multiclass")]
    public async Task Resume_ContinuesToTheWeightsOfAnUninterruptedFit(string name)
    {
        var set = _sets[name];
        string[] csv = ["train", "--csv", set.Path, "--label", set.Label, "--task", set.Task];
        string three = _dir.File($"{name}-3.zip"), resumed = _dir.File($"{name}-resumed.zip"), six = _dir.File($"{name}-6.zip");
        foreach (string[] args in new string[][] { [.. csv, "--epochs", "3", "--out", three], [.. csv, "--epochs", "6", "--resume", three, "--out", resumed], [.. csv, "--epochs", "6", "--out", six] })
        {
            var (exit, _, error) = await TestCli.Run(args);
            Assert.AreEqual(0, exit, error);
        }
        var straight = TabularModel.Load(new MLContext(), six).Mlp;
        var continued = TabularModel.Load(new MLContext(), resumed).Mlp;
        Assert.AreEqual(straight.Network.WeightsSha256(), continued.Network.WeightsSha256());
        Assert.HasCount(6, continued.Training.History);
        // Epochs 1 to 3 were carried over, not run again: their measured times are the first model's to the tick.
        var first = TabularModel.Load(new MLContext(), three).Mlp.Training.History;
        CollectionAssert.AreEqual(first.Select(e => e.Duration).ToArray(), continued.Training.History.Take(3).Select(e => e.Duration).ToArray());
    }

    [TestMethod]
    public async Task Resume_OnAnotherCsv_ExitsWith1_NamingTheDifference()
    {
        var diabetes = _sets["diabetes"];
        var (exit, _, error) = await TestCli.Run("train", "--csv", _sets["wine"].Path, "--label", "cultivar", "--task", "multiclass", "--resume", Zip(diabetes));
        Assert.AreEqual(1, exit, error);
        StringAssert.Contains(error, $"'{_sets["wine"].Path}' does not fit the model to resume: its columns are alcohol (number),");
    }

    [TestMethod]
    public async Task Evaluate_NonNumericCell_ExitsWith1_NamingFileLineColumnAndValue()
    {
        var set = _sets["diabetes"];
        var lines = File.ReadAllLines(set.Path);
        var cells = lines[4].Split(',');
        cells[2] = "abc"; // bmi
        lines[4] = string.Join(',', cells);
        string bad = _dir.File("diabetes-bad.csv");
        File.WriteAllLines(bad, lines);
        var (exit, _, error) = await TestCli.Run("evaluate", "--model", Zip(set), "--csv", bad);
        Assert.AreEqual(1, exit, error);
        Assert.AreEqual($"mlnet-mnist: '{bad}' line 5: column 'bmi' is 'abc', not a number; the model reads 'bmi' as a number.", error.Trim());
    }

    [TestMethod]
    public async Task Evaluate_UnknownClass_AndMissingColumn_ExitWith1_NamingThem()
    {
        var set = _sets["wine"];
        string bad = _dir.File("wine-bad.csv");
        File.WriteAllLines(bad, File.ReadAllLines(set.Path).Select((l, i) => i == 3 ? l[..l.LastIndexOf(',')] + ",cultivar 9" : l));
        var (exit, _, error) = await TestCli.Run("evaluate", "--model", Zip(set), "--csv", bad);
        Assert.AreEqual(1, exit, error);
        StringAssert.Contains(error, $"'{bad}' line 4: the label 'cultivar' is 'cultivar 9'; the model's label is one of 'cultivar 0', 'cultivar 1', 'cultivar 2'.");

        File.WriteAllLines(bad, File.ReadAllLines(set.Path).Select(l => l[(l.IndexOf(',') + 1)..]));
        (exit, _, error) = await TestCli.Run("evaluate", "--model", Zip(set), "--csv", bad);
        Assert.AreEqual(1, exit, error);
        StringAssert.Contains(error, $"'{bad}' lacks the column 'alcohol' that the model reads.");
    }

    [TestMethod]
    [DataRow("train --label y", "--label goes with --csv.")]
    [DataRow("train --csv {wine} --task binary", "--csv needs --label COLUMN.")]
    [DataRow("train --csv {wine} --label cultivar", "--csv needs --task regression, binary or multiclass.")]
    [DataRow("train --csv {wine} --label cultivar --task ranking", "--task must be regression, binary or multiclass, got 'ranking'.")]
    [DataRow("train --csv {wine} --label cultivar --task multiclass --positive a", "--positive goes with --task binary.")]
    [DataRow("train --csv {wine} --label cultivar --task multiclass --test-fraction 0.5 --valid-fraction 0.5", "--valid-fraction and --test-fraction leave no rows to train on.")]
    [DataRow("evaluate --model {zip}", "'{zip}' was trained on a CSV: give --csv FILE.")]
    [DataRow("predict --model {zip} --values alcohol", "--values expects COLUMN=VALUE pairs separated by commas, got 'alcohol'.")]
    [DataRow("predict --model {zip} --values alcohol=1", "--values: column 'malic_acid' is missing; the model reads 'malic_acid' as a number.")]
    [DataRow("predict --model {zip} --csv {wine} --index 1", "--csv and --values do not go with an image file or --index.")]
    public async Task BadArguments_ExitWith2_InOneLine(string args, string message)
    {
        string Expand(string text) => text.Replace("{wine}", _sets["wine"].Path).Replace("{zip}", Zip(_sets["wine"]));
        var (exit, _, error) = await TestCli.Run(Expand(args).Split(' '));
        Assert.AreEqual(2, exit, error);
        Assert.AreEqual($"mlnet-mnist: {Expand(message)} (see --help)", error.Trim());
    }
}
