using MlNetMnist.Trainers.Learning;
using Spectre.Console;

namespace MlNetMnist.Host;

/// <summary>The per-epoch table that `train` prints and `info` shows from the zip.</summary>
internal static class HistoryTable
{
    public static Table Of(IReadOnlyList<EpochMetrics> history)
    {
        string metric = history.Count > 0 ? history[^1].Metric : "accuracy";
        var table = new Table().AddColumns("epoch", "train loss", "valid loss", $"valid {metric}", "seconds");
        foreach (var e in history)
            table.AddRow(e.Epoch.ToString(), e.TrainLoss.ToString("F4"), e.ValidLoss?.ToString("F4") ?? "-",
                e.ValidMetric?.ToString("F4") ?? "-", e.Duration.TotalSeconds.ToString("F2"));
        return table;
    }
}
