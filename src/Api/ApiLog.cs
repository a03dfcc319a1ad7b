namespace TrainingService.Api;

/// <summary>The API's log events. Client mistakes log at Information, faults of ours at Error.</summary>
internal static partial class ApiLog
{
    [LoggerMessage(1, LogLevel.Information, "Job {JobId} ({JobName}) submitted and queued as Hangfire job {QueueJobId}")]
    public static partial void JobSubmitted(this ILogger logger, Guid jobId, string jobName, string queueJobId);

    [LoggerMessage(2, LogLevel.Information, "SubmitJob rejected an invalid spec with {ViolationCount} field violation(s), first {Field}: {Description}")]
    public static partial void SpecRejected(this ILogger logger, int violationCount, string field, string description);

    [LoggerMessage(3, LogLevel.Information, "Job {JobId} cancel: {Outcome}")]
    public static partial void JobCancel(this ILogger logger, Guid jobId, string outcome);

    [LoggerMessage(4, LogLevel.Error, "Job {JobId} was stored but could not be queued; it is marked failed")]
    public static partial void EnqueueFailed(this ILogger logger, Exception exception, Guid jobId);

    [LoggerMessage(5, LogLevel.Information, "API listening: gRPC on {GrpcUrl}, HTTP (health, Prometheus metrics, Hangfire dashboard) on {HttpUrl}")]
    public static partial void Listening(this ILogger logger, string grpcUrl, string httpUrl);

    [LoggerMessage(6, LogLevel.Information, "Database migrations applied")]
    public static partial void Migrated(this ILogger logger);

    [LoggerMessage(7, LogLevel.Warning, "Counting queued and running jobs for the queue metrics failed; they report no value until a count succeeds")]
    public static partial void QueueCountFailed(this ILogger logger, Exception exception);

    [LoggerMessage(8, LogLevel.Warning, "{Method} failed because PostgreSQL is unavailable; answered UNAVAILABLE")]
    public static partial void DatabaseUnavailable(this ILogger logger, Exception exception, string method);

    [LoggerMessage(9, LogLevel.Warning, "Job {JobId}, stored at {CreatedAt:u}, never reached the queue; enqueueing it now")]
    public static partial void SweepingJob(this ILogger logger, Guid jobId, DateTime createdAt);

    [LoggerMessage(10, LogLevel.Warning, "Looking for jobs that never reached the queue failed; trying again at the next sweep")]
    public static partial void SweepFailed(this ILogger logger, Exception exception);
}
