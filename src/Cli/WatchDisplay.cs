using System.Globalization;
using Training.V1;

namespace TrainingService.Cli;

/// <summary>How watch shows progress within an epoch.</summary>
internal enum ProgressMode
{
    /// <summary>A progress bar when standard output is a terminal, else plain lines.</summary>
    Auto,

    /// <summary>One line per epoch, redrawn in place as steps arrive.</summary>
    Bar,

    /// <summary>Only whole lines, with a sampled step line every few seconds, for logs and pipes.</summary>
    Plain,
}

/// <summary>
/// Prints a watched job's events: state changes, epochs and the result as lines, steps as a redrawn progress bar or
/// as sampled lines, and a summary once the job has finished.
/// </summary>
internal sealed class WatchDisplay
{
    // Step events are sampled further in plain mode, so a fast run does not bury its epoch lines.
    private static readonly TimeSpan StepLineInterval = TimeSpan.FromSeconds(5);

    private const int BarWidth = 24;

    private readonly TextWriter _output;
    private readonly bool _bar;
    private readonly int _totalEpochs;
    private readonly List<EpochMetrics> _epochs = [];
    private DateTimeOffset _lastStepLine = DateTimeOffset.MinValue;
    private int _barLength;

    /// <param name="job">The watched job, for its number of epochs.</param>
    public WatchDisplay(TextWriter output, Job job, ProgressMode mode)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(job);

        _output = output;
        _bar = mode == ProgressMode.Bar || (mode == ProgressMode.Auto && !Console.IsOutputRedirected);
        _totalEpochs = JobPrinter.TotalEpochs(job);
    }

    public void StateChanged(string jobId, StateChange change)
    {
        WriteLine(JobPrinter.FormatStateChange(jobId, change));
    }

    public void Epoch(EpochMetrics epoch)
    {
        _epochs.Add(epoch);
        WriteLine(JobPrinter.FormatEpoch(epoch, _totalEpochs));
    }

    public void Result(JobResult result)
    {
        ClearBar();
        JobPrinter.WriteResult(_output, result);
    }

    /// <param name="time">When the worker recorded the step. Plain mode samples by it, so a replay thins like a live run.</param>
    public void Step(StepMetrics step, DateTimeOffset time)
    {
        if (_bar)
        {
            DrawBar(step);
            return;
        }

        if (time - _lastStepLine >= StepLineInterval)
        {
            _lastStepLine = time;
            _output.WriteLine(JobPrinter.FormatStep(step));
        }
    }

    /// <summary>Removes the progress bar, so that a message on standard error starts on a clean line.</summary>
    public void ClearBar()
    {
        if (_barLength > 0)
        {
            _output.Write("\r" + new string(' ', _barLength) + "\r");
            _output.Flush();
            _barLength = 0;
        }
    }

    /// <summary>Prints how the job ended and its last and best epochs, from the epochs this watch saw.</summary>
    public void Summary(string jobId, JobState state, string? reason)
    {
        ClearBar();
        var last = _epochs.Count > 0 ? _epochs[^1] : null;
        var epochs = last is null ? "no finished epoch"
            : _totalEpochs > 0 ? Invariant($"{last.Epoch} of {_totalEpochs} epochs")
            : Invariant($"{last.Epoch} epochs");
        var line = $"summary: job {jobId} {JobPrinter.StateName(state)} after {epochs}";
        _output.WriteLine(string.IsNullOrEmpty(reason) ? line : $"{line}: {reason}");

        if (last is null)
        {
            return;
        }

        _output.WriteLine($"  last {JobPrinter.FormatEpoch(last, _totalEpochs)}");
        var best = _epochs.Where(epoch => epoch.HasValidationAccuracy).MaxBy(epoch => epoch.ValidationAccuracy);
        if (best is not null)
        {
            _output.WriteLine(Invariant($"  best validation accuracy {best.ValidationAccuracy:F4} at epoch {best.Epoch}"));
        }

        var seconds = _epochs.Sum(epoch => epoch.EpochSeconds);
        _output.WriteLine(Invariant($"  {last.Step} steps, {seconds:F1} s in the epochs this watch saw"));
    }

    private void WriteLine(string line)
    {
        ClearBar();
        _output.WriteLine(line);
    }

    private void DrawBar(StepMetrics step)
    {
        var text = FormatBar(step);
        var width = TerminalWidth();
        if (text.Length > width)
        {
            text = text[..width];
        }

        var padding = _barLength > text.Length ? new string(' ', _barLength - text.Length) : string.Empty;
        _output.Write("\r" + text + padding);
        _output.Flush();
        _barLength = text.Length;
    }

    /// <summary>
    /// Formats the bar of the step's epoch. The events do not contain the number of steps in an epoch, so the bar assumes
    /// as many as the epoch before. During the first epoch it shows the step count alone.
    /// </summary>
    private string FormatBar(StepMetrics step)
    {
        var epoch = _totalEpochs > 0 ? Invariant($"epoch {step.Epoch}/{_totalEpochs}") : Invariant($"epoch {step.Epoch}");
        var previous = _epochs.LastOrDefault(e => e.Epoch == step.Epoch - 1);
        var beforePrevious = _epochs.LastOrDefault(e => e.Epoch == step.Epoch - 2);
        var stepsPerEpoch = previous is null ? 0 : previous.Step - (beforePrevious?.Step ?? 0);
        var done = previous is null ? step.Step : step.Step - previous.Step;

        var parts = new List<string>();
        double fraction = 0;
        if (stepsPerEpoch > 0)
        {
            fraction = Math.Clamp((double)done / stepsPerEpoch, 0, 1);
            var filled = (int)Math.Round(fraction * BarWidth);
            parts.Add(Invariant($"{epoch} [{new string('#', filled)}{new string('-', BarWidth - filled)}] {done}/{stepsPerEpoch} steps"));
        }
        else
        {
            parts.Add(Invariant($"{epoch} step {done}"));
        }

        parts.Add($"loss {JobPrinter.FormatValue(step.Loss)}");
        if (_epochs.Count > 0 && _epochs[^1].HasValidationAccuracy)
        {
            parts.Add(Invariant($"val acc {_epochs[^1].ValidationAccuracy:F4}"));
        }

        if (_epochs.Count > 0)
        {
            parts.Add(Invariant($"{_epochs[^1].SamplesPerSecond:F0} samples/s"));
        }

        if (TimeLeft(step.Epoch, fraction) is { } left)
        {
            parts.Add($"{FormatDuration(left)} left");
        }

        return string.Join("  ", parts);
    }

    // The mean of the finished epochs' durations, times the epochs and the part of this one still to run.
    private TimeSpan? TimeLeft(int epoch, double fractionOfEpoch)
    {
        if (_epochs.Count == 0 || _totalEpochs <= 0)
        {
            return null;
        }

        var mean = _epochs.Average(e => e.EpochSeconds);
        var remaining = Math.Max(0, _totalEpochs - (epoch - 1) - fractionOfEpoch);
        return TimeSpan.FromSeconds(mean * remaining);
    }

    private static string FormatDuration(TimeSpan time) =>
        time.TotalHours >= 1
            ? time.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture)
            : time.ToString(@"m\:ss", CultureInfo.InvariantCulture);

    // Without a terminal, as with --progress bar into a pipe, the width is unknown and the line is kept whole.
    private static int TerminalWidth()
    {
        try
        {
            return Console.IsOutputRedirected || Console.WindowWidth <= 1 ? int.MaxValue : Console.WindowWidth - 1;
        }
        catch (IOException)
        {
            return int.MaxValue;
        }
    }

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);
}
