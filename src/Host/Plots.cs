using MlNetMnist.Trainers.Learning;
using MlNetMnist.Trainers.Learning.Callbacks;
using ScottPlot;

namespace MlNetMnist.Host;

/// <summary>The PNGs the commands write, with ScottPlot.</summary>
internal static class Plots
{
    /// <summary>
    /// Loads ScottPlot, SkiaSharp's native library and the fonts on a thread-pool thread, by drawing a small plot in
    /// memory, so that a command that writes a PNG after its main work (training, scoring, on the other core) finds
    /// them ready. Await it before drawing; a failure here is left for the real drawing to report.
    /// </summary>
    public static Task WarmUpAsync() => Task.Run(() =>
    {
        try
        {
            var plot = new Plot();
            plot.Add.Scatter(new double[] { 0, 1 }, new double[] { 0, 1 });
            plot.Title("warm-up");
            plot.GetImageBytes(64, 64, ImageFormat.Png);
        }
        catch (Exception)
        {
            // The PNG the command writes will fail with its own message.
        }
    });

    /// <summary>
    /// Two stacked panels on one epoch axis: train and validation loss above, validation accuracy below, each on its own
    /// scale (on a shared plot the accuracy, 0.96 to 0.97, would cross the loss lines for no reason). train always
    /// validates, so every epoch has both.
    /// </summary>
    public static void Curves(IReadOnlyList<EpochMetrics> history, string path)
    {
        double[] epochs = history.Select(e => (double)e.Epoch).ToArray();
        var figure = new Multiplot();
        figure.AddPlots(2);
        var (loss, accuracy) = (figure.GetPlot(0), figure.GetPlot(1));

        loss.Add.Scatter(epochs, history.Select(e => e.TrainLoss).ToArray()).LegendText = "train";
        var valid = loss.Add.Scatter(epochs, history.Select(e => e.ValidLoss!.Value).ToArray());
        valid.LegendText = "validation";
        loss.Title("Loss per epoch");
        loss.Axes.Left.Label.Text = "loss";
        loss.ShowLegend(Alignment.UpperRight);

        string metric = history[^1].Metric;
        accuracy.Add.Scatter(epochs, history.Select(e => e.ValidMetric!.Value).ToArray(), valid.Color);
        accuracy.Title($"Validation {metric} per epoch");
        accuracy.Axes.Left.Label.Text = metric;
        accuracy.Axes.Bottom.Label.Text = "epoch";

        foreach (var plot in new[] { loss, accuracy })
        {
            plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericFixedInterval(1); // whole epochs only
            plot.Axes.Left.MinimumSize = 80; // the same data width in both panels, whatever their tick labels
        }
        figure.SharedAxes.ShareX([loss, accuracy]);
        figure.SavePng(path, 800, 700);
    }

    /// <summary>
    /// The confusion matrix as a heat map, true class down, predicted class across. Colour follows log10(1 + count), so
    /// that the errors are not drowned by the diagonal; the colour bar says so and is labelled in counts.
    /// </summary>
    public static void Confusion(IReadOnlyList<IReadOnlyList<double>> counts, IReadOnlyList<string> classes, string split, string path)
    {
        int n = counts.Count;
        var values = new double[n, n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
                values[i, j] = Math.Log10(1 + counts[i][j]);
        double top = values.Cast<double>().Max();

        var plot = new Plot();
        var map = plot.Add.Heatmap(values);
        map.Colormap = new ScottPlot.Colormaps.Viridis();
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                var text = plot.Add.Text(counts[i][j].ToString("0"), j, n - 1 - i);
                text.LabelFontColor = values[i, j] > 0.6 * top ? Colors.Black : Colors.White; // viridis turns light above 0.6
                text.LabelAlignment = Alignment.MiddleCenter;
            }

        var bar = plot.Add.ColorBar(map);
        bar.Label = "count (log scale)";
        double[] steps = [0, 1, 3, 10, 30, 100, 300, 1000, 3000, 10000];
        var shown = steps.Where(c => Math.Log10(1 + c) <= top).ToArray();
        bar.Axis.SetTicks(shown.Select(c => Math.Log10(1 + c)).ToArray(), shown.Select(c => c.ToString("0")).ToArray());

        double[] ticks = Enumerable.Range(0, n).Select(i => (double)i).ToArray();
        plot.Axes.Bottom.SetTicks(ticks, classes.ToArray());
        plot.Axes.Left.SetTicks(ticks, classes.Reverse().ToArray());
        plot.Axes.Bottom.Label.Text = "predicted";
        plot.Axes.Left.Label.Text = "true";
        plot.Axes.Margins(0, 0);
        plot.HideGrid();
        plot.Title($"Confusion matrix ({split} split)");
        plot.SavePng(path, 700, 620);
    }

    /// <summary>
    /// The LR finder's curve: loss against rate on a log axis (ticks at powers of ten), the raw loss faint behind the
    /// smoothed one, the suggested rate marked. The loss axis stops a little above the first loss, so that the
    /// divergence at the end does not flatten the valley.
    /// </summary>
    public static void LrFinder(LrFinderResult result, string path)
    {
        double[] x = result.LearningRates.Select(Math.Log10).ToArray();
        var plot = new Plot();
        var raw = plot.Add.Scatter(x, result.Losses.ToArray());
        raw.LegendText = "loss per minibatch";
        raw.MarkerSize = 0;
        raw.LineWidth = 1;
        raw.Color = Colors.SteelBlue.WithAlpha(0.35);
        var smooth = plot.Add.Scatter(x, result.SmoothedLosses.ToArray());
        smooth.LegendText = "smoothed";
        smooth.MarkerSize = 0;
        smooth.LineWidth = 2;
        smooth.Color = Colors.SteelBlue;
        var mark = plot.Add.VerticalLine(Math.Log10(result.Suggested));
        mark.LegendText = $"suggested {result.Suggested:G2}";
        mark.LinePattern = LinePattern.Dashed;
        mark.Color = Colors.OrangeRed;

        var ticks = new ScottPlot.TickGenerators.NumericAutomatic
        {
            MinorTickGenerator = new ScottPlot.TickGenerators.LogMinorTickGenerator(),
            IntegerTicksOnly = true,
            LabelFormatter = v => (int)Math.Round(v) is var power && power < -3 ? $"1e{power}" : Math.Pow(10, power).ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        plot.Axes.Bottom.TickGenerator = ticks;
        plot.Axes.Bottom.Label.Text = "learning rate (log scale)";
        plot.Axes.Left.Label.Text = "training loss";
        plot.Title("Learning-rate finder");
        double low = result.Losses.Min(), high = Math.Max(result.SmoothedLosses[0], result.Losses[0]) * 1.3;
        plot.Axes.SetLimitsY(Math.Max(0, low - 0.05 * (high - low)), high);
        plot.Axes.SetLimitsX(x[0], x[^1]);
        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, 800, 500);
    }
}
