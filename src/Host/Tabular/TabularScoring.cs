using Microsoft.ML;
using Microsoft.ML.Data;
using MlNetMnist.Trainers;
using Spectre.Console;

namespace MlNetMnist.Host.Tabular;

/// <summary>
/// One row's prediction in the label's own terms: the predicted value (a number for regression, the class name
/// otherwise), the raw score, and for classification the probability of each class.
/// </summary>
internal sealed record TabularPrediction(string Predicted, float Score, IReadOnlyDictionary<string, float>? Probabilities);

/// <summary>Scores raw rows with a <see cref="TabularModel"/> and measures a scored split with the task's ML.NET evaluator.</summary>
internal static class TabularScoring
{
    public static List<TabularPrediction> Predict(MLContext ml, TabularModel model, IDataView rows)
    {
        var scored = model.Pipeline.Transform(rows);
        var schema = model.Schema;
        switch (schema.Task)
        {
            case MlpTask.Regression:
                return scored.GetColumn<float>("Score").Select(s => new TabularPrediction(s.ToString("G6"), s, null)).ToList();
            case MlpTask.BinaryClassification:
                var probabilities = scored.GetColumn<float>("Probability").ToArray();
                var positive = scored.GetColumn<bool>("PredictedLabel").ToArray();
                return scored.GetColumn<float>("Score").Select((s, i) => new TabularPrediction(positive[i] ? schema.Positive! : schema.Negative!, s,
                    new Dictionary<string, float> { [schema.Negative!] = 1 - probabilities[i], [schema.Positive!] = probabilities[i] })).ToList();
            default:
                var classes = schema.Classes!;
                return scored.GetColumn<float[]>("Score").Zip(scored.GetColumn<ReadOnlyMemory<char>>(TabularModel.PredictedClass), (p, name) =>
                    new TabularPrediction(name.ToString(), p.Max(), classes.Select((c, i) => (c, p[i])).ToDictionary(x => x.c, x => x.Item2))).ToList();
        }
    }

    /// <summary>The task's metrics on scored rows, as (name, value): R², RMSE, MAE; AUC, accuracy, F1, log-loss; accuracy, macro accuracy, log-loss.</summary>
    public static IReadOnlyList<(string Metric, double Value)> Evaluate(MLContext ml, MlpTask task, IDataView scored) => task switch
    {
        MlpTask.Regression => ml.Regression.Evaluate(scored) is var r
            ? [("R²", r.RSquared), ("RMSE", r.RootMeanSquaredError), ("MAE", r.MeanAbsoluteError)] : [],
        MlpTask.BinaryClassification => ml.BinaryClassification.Evaluate(scored) is var b
            ? [("AUC", b.AreaUnderRocCurve), ("accuracy", b.Accuracy), ("F1", b.F1Score), ("log-loss", b.LogLoss)] : [],
        _ => ml.MulticlassClassification.Evaluate(scored) is var m
            ? [("accuracy", m.MicroAccuracy), ("macro accuracy", m.MacroAccuracy), ("log-loss", m.LogLoss)] : [],
    };

    public static Table MetricsTable(IReadOnlyList<(string Metric, double Value)> metrics, string split)
    {
        var table = new Table().AddColumns("metric", split);
        foreach (var (metric, value) in metrics) table.AddRow(Markup.Escape(metric), value.ToString("F4"));
        return table;
    }
}
