using MlNetMnist.Trainers;
using ScottPlot;

namespace MlNetMnist.Host;

/// <summary>The PNGs the commands write, with ScottPlot.</summary>
internal static class Plots
{
    /// <summary>Train and validation loss (left axis) and validation accuracy (right axis) per epoch.</summary>
    public static void Curves(IReadOnlyList<EpochMetrics> history, string path)
    {
        var plot = new Plot();
        double[] epochs = history.Select(e => (double)e.Epoch).ToArray();
        var train = plot.Add.Scatter(epochs, history.Select(e => e.TrainLoss).ToArray());
        train.LegendText = "train loss";
        if (history.All(e => e.ValidLoss is not null))
        {
            var valid = plot.Add.Scatter(epochs, history.Select(e => e.ValidLoss!.Value).ToArray());
            valid.LegendText = "valid loss";
            var accuracy = plot.Add.Scatter(epochs, history.Select(e => e.ValidAccuracy!.Value).ToArray());
            accuracy.LegendText = "valid accuracy";
            accuracy.Axes.YAxis = plot.Axes.Right;
            plot.Axes.Right.Label.Text = "accuracy";
        }
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(1); // whole epochs only
        plot.Axes.Bottom.Label.Text = "epoch";
        plot.Axes.Left.Label.Text = "cross-entropy";
        plot.Title("Training curves");
        plot.ShowLegend(Alignment.UpperCenter);
        plot.SavePng(path, 800, 500);
    }

    /// <summary>The confusion matrix as a heat map, true class down, predicted class across.</summary>
    public static void Confusion(IReadOnlyList<IReadOnlyList<double>> counts, IReadOnlyList<string> classes, string path)
    {
        int n = counts.Count;
        var values = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                values[i, j] = Math.Log10(1 + counts[i][j]); // log scale: the diagonal would drown the errors
        var plot = new Plot();
        var map = plot.Add.Heatmap(values);
        map.Colormap = new ScottPlot.Colormaps.Viridis();
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                var text = plot.Add.Text(counts[i][j].ToString("0"), j, n - 1 - i);
                text.LabelFontColor = counts[i][j] > 0.5 * counts[i].Max() ? Colors.Black : Colors.White;
                text.LabelAlignment = Alignment.MiddleCenter;
            }
        double[] ticks = Enumerable.Range(0, n).Select(i => (double)i).ToArray();
        plot.Axes.Bottom.SetTicks(ticks, classes.ToArray());
        plot.Axes.Left.SetTicks(ticks, classes.Reverse().ToArray());
        plot.Axes.Bottom.Label.Text = "predicted";
        plot.Axes.Left.Label.Text = "true";
        plot.Title("Confusion matrix (test)");
        plot.SavePng(path, 700, 650);
    }
}
