using System.Diagnostics;
using Training.V1;
using TrainingService.Core.Telemetry;
using TrainingService.Core.Training;
using TrainingService.Persistence;

namespace TrainingService.Worker.Telemetry;

/// <summary>
/// Traces and measures one attempt: the "train job" span with its outcome, the run's per-job series, and the
/// lifecycle instruments. Disposing it ends the span and the series.
/// </summary>
internal sealed class AttemptTelemetry : IDisposable
{
    private readonly TrainingInstrumentation _instrumentation;
    private readonly Activity? _activity;
    private readonly RunTelemetry _run;
    private readonly long _startTimestamp = Stopwatch.GetTimestamp();

    private AttemptTelemetry(TrainingInstrumentation instrumentation, Activity? activity, RunTelemetry run)
    {
        _instrumentation = instrumentation;
        _activity = activity;
        _run = run;
    }

    /// <summary>The observer that feeds the run's per-job series and epoch spans.</summary>
    public ITrainingObserver Observer => _run;

    /// <summary>The trace id of the attempt's span, or an empty string when no listener samples it.</summary>
    public string TraceId => _activity?.TraceId.ToHexString() ?? "";

    /// <summary>
    /// Starts the span as a child of the current activity, which the queue's server filter restores from the
    /// job's trace context, and records the attempt's start and queue wait.
    /// </summary>
    public static AttemptTelemetry Start(TrainingInstrumentation instrumentation, AttemptStart attempt)
    {
        ArgumentNullException.ThrowIfNull(instrumentation);
        ArgumentNullException.ThrowIfNull(attempt);

        var activity = instrumentation.ActivitySource.StartActivity("train job");
        activity?.SetTag("job.id", attempt.JobId.ToString());
        activity?.SetTag("job.name", attempt.Spec.Name);
        activity?.SetTag("job.attempt", attempt.Attempt);

        instrumentation.RecordStarted(attempt.Attempt, attempt.QueueWait);
        var run = instrumentation.StartRun(attempt.JobId, attempt.Spec.Name, activity);
        return new AttemptTelemetry(instrumentation, activity, run);
    }

    /// <summary>Records the job's final state, and the reason on the span when it failed or was cancelled.</summary>
    public void Finish(JobState outcome, string? reason = null)
    {
        _instrumentation.RecordFinished(outcome, Stopwatch.GetElapsedTime(_startTimestamp));
        SetOutcome(outcome.ToString().ToLowerInvariant(), outcome == JobState.Failed ? ActivityStatusCode.Error : ActivityStatusCode.Ok, reason);
    }

    /// <summary>Marks the span of an attempt that a shutdown stopped; Hangfire requeues the job, so no outcome is counted.</summary>
    public void Interrupt() => SetOutcome("interrupted", ActivityStatusCode.Unset, "The worker shut down; the job is requeued.");

    /// <summary>Marks the span of an attempt that another worker or a cancel took over; that one records the outcome.</summary>
    public void Supersede() => SetOutcome("superseded", ActivityStatusCode.Unset, "The attempt is no longer current.");

    public void Dispose()
    {
        _run.Dispose();
        _activity?.Dispose();
    }

    private void SetOutcome(string outcome, ActivityStatusCode status, string? reason)
    {
        if (_activity is null)
        {
            return;
        }

        _activity.SetTag("job.outcome", outcome);
        _activity.SetStatus(status, status == ActivityStatusCode.Error ? reason : null);

        if (!string.IsNullOrEmpty(reason))
        {
            _activity.SetTag("job.outcome.reason", reason);
        }
    }
}
