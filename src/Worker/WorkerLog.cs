namespace TrainingService.Worker;

/// <summary>The worker's log events. Client mistakes and cancels log at Information, faults of ours at Error.</summary>
internal static partial class WorkerLog
{
    [LoggerMessage(1, LogLevel.Information, "Job {JobId} attempt {Attempt} started on {WorkerName} in trace {TraceId}")]
    public static partial void AttemptStarted(this ILogger logger, Guid jobId, int attempt, string workerName, string traceId);

    [LoggerMessage(2, LogLevel.Information, "Job {JobId} is finished or gone; skipping it")]
    public static partial void JobSkipped(this ILogger logger, Guid jobId);

    [LoggerMessage(3, LogLevel.Information, "Job {JobId} attempt {Attempt} succeeded: test loss {TestLoss:F4} after {Steps} steps in {Seconds:F1} s")]
    public static partial void JobSucceeded(this ILogger logger, Guid jobId, int attempt, double testLoss, long steps, double seconds);

    [LoggerMessage(4, LogLevel.Information, "Job {JobId} attempt {Attempt} diverged at step {Step}: {Reason}")]
    public static partial void JobDiverged(this ILogger logger, Guid jobId, int attempt, long step, string reason);

    [LoggerMessage(5, LogLevel.Information, "Job {JobId} attempt {Attempt} cancelled by request")]
    public static partial void JobCancelled(this ILogger logger, Guid jobId, int attempt);

    [LoggerMessage(6, LogLevel.Error, "Job {JobId} attempt {Attempt} failed while training")]
    public static partial void JobFailed(this ILogger logger, Exception exception, Guid jobId, int attempt);

    [LoggerMessage(7, LogLevel.Warning, "Job {JobId} attempt {Attempt} interrupted by shutdown; Hangfire will requeue it")]
    public static partial void JobInterrupted(this ILogger logger, Guid jobId, int attempt);

    [LoggerMessage(8, LogLevel.Warning, "Job {JobId} attempt {Attempt} is no longer current; another worker or a cancel took it over")]
    public static partial void AttemptStale(this ILogger logger, Guid jobId, int attempt);

    [LoggerMessage(9, LogLevel.Warning, "Writing job {JobId} to PostgreSQL failed (try {Try}); training goes on and the write is retried in {DelayMs} ms")]
    public static partial void StoreWriteRetry(this ILogger logger, Exception exception, Guid jobId, int @try, int delayMs);

    [LoggerMessage(10, LogLevel.Information, "Job {JobId} has an invalid spec: {Reason}")]
    public static partial void JobInvalid(this ILogger logger, Guid jobId, string reason);

    [LoggerMessage(12, LogLevel.Information, "Job {JobId} attempt {Attempt} resumes from the checkpoint at step {Step}")]
    public static partial void AttemptResumed(this ILogger logger, Guid jobId, int attempt, long step);

    [LoggerMessage(13, LogLevel.Information, "Job {JobId} attempt {Attempt} exceeded its time limit of {Seconds} s")]
    public static partial void JobTimedOut(this ILogger logger, Guid jobId, int attempt, long seconds);

    [LoggerMessage(14, LogLevel.Warning, "Checking job {JobId} for a cancel request failed; checking again shortly")]
    public static partial void CancelCheckFailed(this ILogger logger, Exception exception, Guid jobId);

    [LoggerMessage(15, LogLevel.Warning, "Job {JobId}'s last metrics were not all stored within {Seconds} s of shutdown; the next attempt resumes from the last stored checkpoint")]
    public static partial void ShutdownDrainTimedOut(this ILogger logger, Guid jobId, double seconds);

    [LoggerMessage(11, LogLevel.Information, "Worker ready: {Concurrency} job(s) at a time, {Threads} libtorch threads, queue '{Queue}'")]
    public static partial void WorkerReady(this ILogger logger, int concurrency, int threads, string queue);
}
