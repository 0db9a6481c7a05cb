using System.Diagnostics;
using Microsoft.ML;
using MlNetMnist.Trainers;

namespace MlNetMnist.Host.Bench;

/// <summary>A trainer's folds (or single split) on one data set: one metric's values, and the seconds its fits took in all.</summary>
internal sealed record TrainerScores(string Trainer, IReadOnlyDictionary<string, double[]> Metrics, double FitSeconds);

/// <summary>
/// `bench tabular`'s measurements: k-fold cross-validation on scikit-learn's small sets with the folds made once per set
/// (ml.Data.CrossValidationSplit, seed 1: the split ml.*.CrossValidate(seed: 1) makes) and given to every trainer, and
/// Friedman #1 fitted on generated rows and scored on other generated rows.
/// </summary>
internal static class TabularBenchmark
{
    public const int Folds = 5, FoldSeed = 1;

    /// <summary>One of scikit-learn's sets: its name as the table shows it, its task, and its rows.</summary>
    public sealed record SmallSet(string Name, TabularTask Task, Func<MLContext, IDataView> Load);

    public static readonly SmallSet[] SmallSets =
    [
        new("diabetes (442 rows, 10 features)", TabularTask.Regression, SklearnData.Diabetes),
        new("breast cancer (569 rows, 30 features)", TabularTask.Binary, SklearnData.BreastCancer),
        new("wine (178 rows, 13 features, 3 classes)", TabularTask.Multiclass, SklearnData.Wine),
    ];

    /// <summary>The metrics a task's rows show, in order.</summary>
    public static string[] MetricNames(TabularTask task) => task switch
    {
        TabularTask.Regression => ["R²"],
        TabularTask.Binary => ["AUC", "accuracy"],
        _ => ["accuracy"],
    };

    /// <summary>
    /// Every trainer of <paramref name="trainers"/> on the same <see cref="Folds"/> folds of <paramref name="set"/>:
    /// normalise (mean and variance, fitted on the fold's training rows), then the trainer; the metrics of each fold's test rows.
    /// </summary>
    public static IReadOnlyList<TrainerScores> CrossValidate(SmallSet set, IReadOnlyList<string> trainers, CancellationToken cancellation)
    {
        var ml = new MLContext(seed: 1);
        var data = set.Load(ml);
        // Made once: every trainer below fits and scores the very same fold views.
        var folds = ml.Data.CrossValidationSplit(data, Folds, seed: FoldSeed);
        var results = new List<TrainerScores>();
        foreach (string trainer in trainers)
        {
            IEstimator<ITransformer> pipeline = ml.Transforms.NormalizeMeanVariance("Features")
                .Append(TabularTrainers.Make(ml, trainer, set.Task, TabularRecipes.SmallSets()));
            if (set.Task == TabularTask.Multiclass) pipeline = ml.Transforms.Conversion.MapValueToKey("Label").Append(pipeline);
            var metrics = MetricNames(set.Task).ToDictionary(m => m, _ => new double[folds.Count]);
            double seconds = 0;
            for (int f = 0; f < folds.Count; f++)
            {
                cancellation.ThrowIfCancellationRequested();
                var clock = Stopwatch.StartNew();
                var model = pipeline.Fit(folds[f].TrainSet);
                seconds += clock.Elapsed.TotalSeconds;
                foreach (var (name, value) in Evaluate(ml, set.Task, model.Transform(folds[f].TestSet)))
                    metrics[name][f] = value;
            }
            results.Add(new(trainer, metrics, seconds));
        }
        return results;
    }

    static IEnumerable<(string Name, double Value)> Evaluate(MLContext ml, TabularTask task, IDataView scored)
    {
        switch (task)
        {
            case TabularTask.Regression:
                yield return ("R²", ml.Regression.Evaluate(scored).RSquared);
                break;
            case TabularTask.Binary:
                var binary = ml.BinaryClassification.Evaluate(scored);
                yield return ("AUC", binary.AreaUnderRocCurve);
                yield return ("accuracy", binary.Accuracy);
                break;
            default:
                yield return ("accuracy", ml.MulticlassClassification.Evaluate(scored).MicroAccuracy);
                break;
        }
    }

    /// <summary>
    /// Friedman #1: each trainer of <paramref name="trainers"/> fits <paramref name="trainRows"/> generated rows (seed 1,
    /// read from the streaming view as the trainer reads) and is scored by R² on <paramref name="testRows"/> others (seed 2).
    /// </summary>
    public static IReadOnlyList<TrainerScores> Friedman(long trainRows, long testRows, int mlpEpochs, IReadOnlyList<string> trainers,
        Action<string>? report, CancellationToken cancellation)
    {
        var ml = new MLContext(seed: 1);
        var train = new FriedmanDataView(trainRows, seed: 1);
        var test = new FriedmanDataView(testRows, seed: 2);
        var results = new List<TrainerScores>();
        foreach (string trainer in trainers)
        {
            cancellation.ThrowIfCancellationRequested();
            var options = TabularRecipes.Friedman(mlpEpochs);
            options.CancellationToken = cancellation;
            var estimator = TabularTrainers.Make(ml, trainer, TabularTask.Regression, options);
            var clock = Stopwatch.StartNew();
            var model = estimator.Fit(train);
            double seconds = clock.Elapsed.TotalSeconds;
            double r2 = ml.Regression.Evaluate(model.Transform(test)).RSquared;
            report?.Invoke($"Friedman #1, {trainer}: fit {seconds:F2} s, R² {r2:F4}; peak resident memory so far {ProcessMemory.PeakResidentMegabytes():F0} MB");
            results.Add(new(trainer, new Dictionary<string, double[]> { ["R²"] = [r2] }, seconds));
        }
        return results;
    }
}
