using MlNetMnist.Trainers.Learning;
using Spectre.Console;

namespace MlNetMnist.Host;

/// <summary>The per-epoch table that `train` prints and `info` shows from the zip.</summary>
internal static class HistoryTable
{
    public static Table Of(IReadOnlyList<EpochMetrics> history)
    {
        var table = new Table().AddColumns("epoch", "train loss", "valid loss", "valid accuracy", "seconds");
        foreach (var e in history)
            table.AddRow(e.Epoch.ToString(), e.TrainLoss.ToString("F4"), e.ValidLoss?.ToString("F4") ?? "-",
                e.ValidAccuracy?.ToString("F4") ?? "-", e.Duration.TotalSeconds.ToString("F2"));
        return table;
    }
}
