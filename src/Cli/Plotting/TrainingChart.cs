using System.Globalization;
using ScottPlot;
using ScottPlot.TickGenerators;
using SkiaSharp;

namespace TrainingService.Cli.Plotting;

/// <summary>How the loss panel's y axis is scaled.</summary>
internal enum LossScale
{
    /// <summary>Logarithmic when the finite losses span more than three orders of magnitude, else linear.</summary>
    Auto,
    Linear,
    Log,
}

/// <summary>
/// Draws the jobs' training curves as stacked panels with a shared x axis in epochs: first the loss of every job
/// overlaid, then one panel of per-layer gradient norms on a log scale for each job.
/// </summary>
internal static class TrainingChart
{
    private const double AutoLogRange = 1e3;
    private const int MaxLogLabels = 8;
    private const int MaxEpochMarkers = 60;

    private static readonly ScottPlot.Palettes.Category10 JobColors = new();

    // Room on the right for legends whose job names JobSeries cuts to MaxNameLength characters.
    private static readonly PixelPadding PanelPadding = new(left: 80, right: 380, bottom: 50, top: 40);

    /// <summary>Renders the chart to a PNG or SVG file, chosen by the file's extension.</summary>
    public static void Save(IReadOnlyList<JobSeries> jobs, LossScale lossScale, string path, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(jobs);

        ChartFonts.Register();
        var multiplot = Build(jobs, lossScale);

        if (Path.GetExtension(path).Equals(".svg", StringComparison.OrdinalIgnoreCase))
        {
            using var stream = File.Create(path);
            using var canvas = SKSvgCanvas.Create(new SKRect(0, 0, width, height), stream);
            multiplot.Render(canvas, new PixelRect(0, width, height, 0));
        }
        else
        {
            multiplot.SavePng(path, width, height);
        }
    }

    private static Multiplot Build(IReadOnlyList<JobSeries> jobs, LossScale lossScale)
    {
        // A new Multiplot starts with one empty plot, which becomes the loss panel.
        var multiplot = new Multiplot();
        multiplot.Layout = new ScottPlot.MultiplotLayouts.Rows();

        var loss = multiplot.GetPlot(0);
        DrawLoss(loss, jobs, lossScale);

        var plots = new List<Plot> { loss };
        for (var i = 0; i < jobs.Count; i++)
        {
            var gradients = multiplot.AddPlot();
            DrawGradientNorms(gradients, jobs[i]);
            plots.Add(gradients);
        }

        // The same margins and x range in every panel line up their data areas, whatever the width of each legend
        // and however many epochs each job ran. Multiplot's SharedAxes does not apply when rendering to a file.
        var lastEpoch = Math.Max(1, jobs.SelectMany(job => job.History.Epochs.Select(epoch => (double)epoch.Epoch))
            .Concat(jobs.SelectMany(job => job.StepLoss().X)).DefaultIfEmpty(1).Max());
        foreach (var plot in plots)
        {
            plot.Layout.Fixed(PanelPadding);
            plot.Axes.SetLimitsX(0, Math.Ceiling(lastEpoch));
        }

        return multiplot;
    }

    private static void DrawLoss(Plot plot, IReadOnlyList<JobSeries> jobs, LossScale scale)
    {
        var lines = new List<(Series Series, Color Color, string? Legend, LinePattern Pattern, float Width, float Marker)>();
        for (var i = 0; i < jobs.Count; i++)
        {
            var color = JobColors.GetColor(i);
            lines.Add((jobs[i].StepLoss(), color.WithAlpha(0.35), null, LinePattern.Solid, 1, 0));
            var trainLoss = jobs[i].EpochTrainLoss();

            // A marker per epoch helps to count a few epochs but blurs the line of a long run into a band.
            var marker = trainLoss.X.Length <= MaxEpochMarkers ? 5 : 0;
            lines.Add((trainLoss, color, $"{jobs[i].Label} training", LinePattern.Solid, 2, marker));
            lines.Add((jobs[i].EpochValidationLoss(), color, $"{jobs[i].Label} validation", LinePattern.Dashed, 2, marker));
        }

        var log = UseLogScale(scale, lines.SelectMany(line => line.Series.Y));
        var plotted = new List<double>();
        foreach (var (series, color, legend, pattern, width, marker) in lines)
        {
            plotted.AddRange(AddLine(plot, series, log, color, legend, pattern, width, marker));
        }

        if (log)
        {
            UseLogTicks(plot, plotted);
        }

        plot.Title("Loss: faint lines per step, solid per epoch (training), dashed per epoch (validation)");
        plot.XLabel("epoch");
        plot.YLabel(log ? "loss (log scale)" : "loss");
        plot.ShowLegend(Edge.Right);
    }

    private static void DrawGradientNorms(Plot plot, JobSeries job)
    {
        var layers = job.History.LayerNames();
        var colors = new ScottPlot.Colormaps.Viridis();
        var plotted = new List<double>();
        for (var i = 0; i < layers.Count; i++)
        {
            // Viridis runs from dark (the first layer) to yellow (the last), so depth reads as a gradient of colour.
            var color = colors.GetColor(layers.Count == 1 ? 0 : 0.9 * i / (layers.Count - 1));
            plotted.AddRange(AddLine(plot, job.LayerGradientNorm(layers[i]), log: true, color, layers[i], LinePattern.Solid, 1.5f, 0));
        }

        UseLogTicks(plot, plotted);
        plot.Title($"Gradient norm per layer: {job.Label}");
        plot.XLabel("epoch");
        plot.YLabel("L2 norm (log scale)");
        plot.ShowLegend(Edge.Right);
    }

    /// <returns>The y values as plotted: log10 of the values on a log axis.</returns>
    private static double[] AddLine(Plot plot, Series series, bool log, Color color, string? legend, LinePattern pattern, float width, float marker)
    {
        // A log axis cannot show zero or a negative value, so those points are left out of it.
        var points = series.X.Zip(series.Y).Where(point => !log || point.Second > 0).ToArray();
        if (points.Length == 0)
        {
            return [];
        }

        var xs = points.Select(point => point.First).ToArray();
        var ys = points.Select(point => log ? Math.Log10(point.Second) : point.Second).ToArray();
        var scatter = plot.Add.ScatterLine(xs, ys, color);
        scatter.LineWidth = width;
        scatter.LinePattern = pattern;
        scatter.MarkerSize = marker;
        scatter.MarkerShape = marker > 0 ? MarkerShape.FilledCircle : MarkerShape.None;
        if (legend is not null)
        {
            scatter.LegendText = legend;
        }

        return ys;
    }

    private static bool UseLogScale(LossScale scale, IEnumerable<double> values)
    {
        if (scale != LossScale.Auto)
        {
            return scale == LossScale.Log;
        }

        var positive = values.Where(value => value > 0).ToList();
        return positive.Count > 0 && positive.Max() / positive.Min() > AutoLogRange;
    }

    // ScottPlot 5 has no log axis, so the values are plotted as log10 and the ticks placed by hand at powers of ten.
    // At most about MaxLogLabels powers get a label, and 2 to 9 times each power get minor ticks when every power has
    // a label. Within two decades, 2 and 5 times each power are labelled too. Within one decade, automatic ticks are
    // labelled with their values, because the range may contain no round value.
    private static void UseLogTicks(Plot plot, List<double> logValues)
    {
        if (logValues.Count == 0)
        {
            return;
        }

        var low = (int)Math.Floor(logValues.Min());
        var high = (int)Math.Ceiling(logValues.Max());
        if (high - low <= 1)
        {
            plot.Axes.Left.TickGenerator = new NumericAutomatic
            {
                LabelFormatter = exponent => Math.Pow(10, exponent).ToString("G4", CultureInfo.InvariantCulture),
            };
            return;
        }

        var labelEvery = (int)Math.Ceiling((high - low) / (double)MaxLogLabels);
        var labelMiddle = high - low <= 2;
        var ticks = new NumericManual();
        for (var exponent = low; exponent <= high; exponent++)
        {
            if (exponent % labelEvery == 0)
            {
                ticks.AddMajor(exponent, PowerLabel(Math.Pow(10, exponent)));
            }
            else
            {
                ticks.AddMinor(exponent);
            }

            for (var mantissa = 2; mantissa <= 9 && labelEvery == 1; mantissa++)
            {
                var value = mantissa * Math.Pow(10, exponent);
                if (labelMiddle && mantissa is 2 or 5)
                {
                    ticks.AddMajor(Math.Log10(value), PowerLabel(value));
                }
                else
                {
                    ticks.AddMinor(Math.Log10(value));
                }
            }
        }

        plot.Axes.Left.TickGenerator = ticks;
    }

    private static string PowerLabel(double value) => value.ToString("G3", CultureInfo.InvariantCulture);
}
