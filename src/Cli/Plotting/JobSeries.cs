using Training.V1;
using TrainingService.Cli.Metrics;

namespace TrainingService.Cli.Plotting;

/// <summary>A line to draw: x values in epochs and the y values at them, both finite.</summary>
internal sealed record Series(double[] X, double[] Y);

/// <summary>
/// One job's metrics as lines over a shared x axis in epochs, so jobs with different batch sizes line up: a step
/// lands at its fraction of the way through its epoch, and an epoch's metrics at its end.
/// </summary>
internal sealed class JobSeries
{
    /// <summary>The longest job name a legend shows in full; longer ones are cut and end in "...".</summary>
    public const int MaxNameLength = 24;

    private readonly Dictionary<int, (long First, long Count)> _epochSteps = [];

    public JobSeries(Job job, MetricsHistory history)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(history);

        var name = job.Name.Length <= MaxNameLength ? job.Name : job.Name[..(MaxNameLength - 3)] + "...";
        Label = $"{name} ({ShortId(job.Id)})";
        History = history;
        IndexEpochs(history);
    }

    /// <summary>The job's name and the last 8 characters of its id, as the legend shows it, with a long name cut.</summary>
    public string Label { get; }

    public MetricsHistory History { get; }

    // Job ids are UUIDv7, whose first characters are a timestamp shared by jobs submitted together; the end is random.
    public static string ShortId(string id) => id.Length <= 8 ? id : id[^8..];

    public Series StepLoss() => Points(History.Steps, step => EpochPosition(step), step => step.Loss);

    public Series EpochTrainLoss() => Points(History.Epochs, epoch => epoch.Epoch, epoch => epoch.TrainLoss);

    public Series EpochValidationLoss() =>
        Points(History.Epochs.Where(epoch => epoch.HasValidationLoss), epoch => epoch.Epoch, epoch => epoch.ValidationLoss);

    /// <summary>The gradient norm of one layer at every step, leaving out steps where it is zero or not finite.</summary>
    public Series LayerGradientNorm(string layer) =>
        Points(History.Steps.Where(step => step.LayerGradientNorms.Any(norm => norm.Layer == layer)),
            step => EpochPosition(step),
            step => step.LayerGradientNorms.First(norm => norm.Layer == layer).Norm);

    /// <summary>
    /// Places a step within its epoch: epoch e spans x from e - 1 to e. An epoch without recorded metrics, such as the
    /// one a failed run stopped in, is assumed as long as the epoch before it, or as long as its steps so far.
    /// </summary>
    private double EpochPosition(StepMetrics step)
    {
        var (first, count) = _epochSteps.TryGetValue(step.Epoch, out var known) ? known : (step.Step, 1);
        return step.Epoch - 1 + (double)(step.Step - first + 1) / Math.Max(count, 1);
    }

    private void IndexEpochs(MetricsHistory history)
    {
        long previousEnd = 0;
        long previousCount = 0;
        foreach (var epoch in history.Epochs.OrderBy(epoch => epoch.Epoch))
        {
            previousCount = epoch.Step - previousEnd;
            _epochSteps[epoch.Epoch] = (previousEnd + 1, previousCount);
            previousEnd = epoch.Step;
        }

        foreach (var group in history.Steps.GroupBy(step => step.Epoch).Where(group => !_epochSteps.ContainsKey(group.Key)))
        {
            var first = group.Min(step => step.Step);
            var seen = group.Max(step => step.Step) - first + 1;
            _epochSteps[group.Key] = (first, Math.Max(seen, previousCount));
        }
    }

    private static Series Points<T>(IEnumerable<T> items, Func<T, double> x, Func<T, double> y)
    {
        var points = items.Select(item => (X: x(item), Y: y(item))).Where(point => double.IsFinite(point.Y)).ToList();
        return new Series([.. points.Select(point => point.X)], [.. points.Select(point => point.Y)]);
    }
}
