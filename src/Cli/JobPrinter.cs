using System.Globalization;
using System.Text;
using Google.Protobuf.WellKnownTypes;
using Training.V1;

namespace TrainingService.Cli;

/// <summary>Formats jobs, metrics and results as the lines trainctl prints, with invariant-culture numbers.</summary>
internal static class JobPrinter
{
    private const int MaxNameWidth = 32;

    private static readonly string[] TableHeader = ["ID", "NAME", "STATE", "CREATED", "EPOCH", "VAL ACC", "TEST ACC"];

    public static string StateName(JobState state) => state.ToString().ToUpperInvariant();

    public static bool IsFinal(JobState state) =>
        state is JobState.Succeeded or JobState.Failed or JobState.Cancelled;

    public static string FormatStateChange(string jobId, StateChange change)
    {
        ArgumentNullException.ThrowIfNull(change);

        var line = $"job {jobId}: {StateName(change.State)}";
        return string.IsNullOrEmpty(change.Reason) ? line : $"{line}{Environment.NewLine}  reason: {change.Reason}";
    }

    /// <param name="totalEpochs">The number of epochs in the job's spec. A value of 0 or less means unknown and leaves out the "/n".</param>
    public static string FormatEpoch(EpochMetrics metrics, int totalEpochs)
    {
        ArgumentNullException.ThrowIfNull(metrics);

        var epoch = totalEpochs > 0 ? Invariant($"{metrics.Epoch}/{totalEpochs}") : Invariant($"{metrics.Epoch}");
        var parts = new List<string> { $"train loss {FormatValue(metrics.TrainLoss)}" };

        // Regression jobs have no accuracy, and jobs without a validation split no validation metrics.
        if (metrics.HasValidationLoss)
        {
            parts.Add($"validation loss {FormatValue(metrics.ValidationLoss)}");
        }

        if (metrics.HasValidationAccuracy)
        {
            parts.Add(Invariant($"validation accuracy {metrics.ValidationAccuracy:F4}"));
        }

        parts.Add(Invariant($"{metrics.SamplesPerSecond:F0} samples/s, {metrics.EpochSeconds:F1} s"));
        return $"epoch {epoch}: {string.Join(", ", parts)}";
    }

    /// <summary>
    /// Formats a loss or norm with four decimals, or in scientific notation when four decimals would show it as 0 or
    /// print dozens of digits, as for a diverging run.
    /// </summary>
    public static string FormatValue(double value)
    {
        var magnitude = Math.Abs(value);
        var scientific = double.IsFinite(value) && value != 0 && (magnitude < 1e-3 || magnitude >= 1e6);
        return value.ToString(scientific ? "0.000e+0" : "F4", CultureInfo.InvariantCulture);
    }

    public static string FormatStep(StepMetrics step)
    {
        ArgumentNullException.ThrowIfNull(step);

        return Invariant(
            $"  step {step.Step} (epoch {step.Epoch}): loss {FormatValue(step.Loss)}, gradient norm {FormatValue(step.GradientNorm)}, learning rate {step.LearningRate:G4}");
    }

    public static void WriteResult(TextWriter output, JobResult result)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(result);

        if (result.HasTestAccuracy)
        {
            output.WriteLine(Invariant($"test accuracy: {result.TestAccuracy:F4}"));
        }

        if (result.HasTestLoss)
        {
            output.WriteLine($"test loss: {FormatValue(result.TestLoss)}");
        }

        if (result.StoppedEarly)
        {
            output.WriteLine(Invariant($"stopped early; kept the weights of epoch {result.BestEpoch}"));
        }

        output.WriteLine(Invariant($"model: {result.ModelLocation} ({result.ModelSizeBytes} bytes)"));
        output.WriteLine(Invariant($"steps: {result.Steps}, training time: {result.TrainSeconds:F1} s"));
    }

    public static void WriteJob(TextWriter output, Job job)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(job);

        output.WriteLine($"id: {job.Id}");
        output.WriteLine($"name: {job.Name}");
        output.WriteLine($"state: {StateName(job.State)}");
        output.WriteLine(Invariant($"attempt: {job.Attempt}"));
        output.WriteLine($"created: {FormatTime(job.CreatedAt)}");
        output.WriteLine($"started: {FormatTime(job.StartedAt)}");
        output.WriteLine($"finished: {FormatTime(job.FinishedAt)}");

        if (job.LatestMetrics is not null)
        {
            output.WriteLine($"latest {FormatEpoch(job.LatestMetrics, TotalEpochs(job))}");
        }

        WriteOutcome(output, job);
    }

    /// <summary>Writes the result of a succeeded job or the reason a job failed or was cancelled.</summary>
    public static void WriteOutcome(TextWriter output, Job job)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(job);

        if (job.Result is not null)
        {
            WriteResult(output, job.Result);
        }

        if (!string.IsNullOrEmpty(job.FailureReason))
        {
            output.WriteLine($"failure reason: {job.FailureReason}");
        }
    }

    /// <summary>Writes jobs as an aligned table, one row per job in the given order.</summary>
    public static void WriteTable(TextWriter output, IReadOnlyList<Job> jobs)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(jobs);

        TextTable.Write(output, TableHeader, jobs.Select(ToRow));
    }

    public static int TotalEpochs(Job job) => job.Spec?.Training?.Epochs ?? 0;

    private static string[] ToRow(Job job)
    {
        var metrics = job.LatestMetrics;
        var totalEpochs = TotalEpochs(job);
        var epoch = metrics is null ? "-"
            : totalEpochs > 0 ? Invariant($"{metrics.Epoch}/{totalEpochs}")
            : Invariant($"{metrics.Epoch}");

        return
        [
            job.Id,
            Shorten(job.Name),
            StateName(job.State),
            FormatTime(job.CreatedAt),
            epoch,
            metrics is { HasValidationAccuracy: true } ? Invariant($"{metrics.ValidationAccuracy:F4}") : "-",
            job.Result is { HasTestAccuracy: true } ? Invariant($"{job.Result.TestAccuracy:F4}") : "-",
        ];
    }

    // Job names are free text set by the client, so a control character in one would break the table's rows.
    private static string Shorten(string name)
    {
        var builder = new StringBuilder(name.Length);
        foreach (var character in name)
        {
            builder.Append(char.IsControl(character) ? ' ' : character);
        }

        var cleaned = builder.ToString();
        return cleaned.Length <= MaxNameWidth ? cleaned : string.Concat(cleaned.AsSpan(0, MaxNameWidth - 3), "...");
    }

    private static string FormatTime(Timestamp? time) =>
        time is null ? "-" : time.ToDateTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => FormattableString.Invariant(text);
}
