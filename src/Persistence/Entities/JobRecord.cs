using Training.V1;

namespace TrainingService.Persistence.Entities;

/// <summary>A submitted job and its current state; the spec is kept as the proto3 JSON of its <see cref="JobSpec"/>.</summary>
public sealed class JobRecord
{
    public Guid Id { get; set; }

    /// <summary>The API key that submitted the job and alone may see it; null when the API runs without keys.</summary>
    public Guid? OwnerKeyId { get; set; }

    /// <summary>The client's idempotency key for SubmitJob, unique per owner.</summary>
    public string? RequestId { get; set; }

    public string Name { get; set; } = "";

    public string SpecJson { get; set; } = "";

    public JobState State { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime? StartedAt { get; set; }

    public DateTime? FinishedAt { get; set; }

    public string? FailureReason { get; set; }

    /// <summary>The Hangfire background job that runs this job, set once it is enqueued.</summary>
    public string? QueueJobId { get; set; }

    /// <summary>How many times a worker has started the job; above 1 after a worker died mid-run.</summary>
    public int Attempt { get; set; }

    /// <summary>Set by CancelJob on a running job; the worker polls it and stops within a step.</summary>
    public bool CancelRequested { get; set; }

    /// <summary>The last finished epoch's metrics as proto3 JSON of EpochMetrics.</summary>
    public string? LatestMetricsJson { get; set; }

    /// <summary>The result as proto3 JSON of JobResult, set when the job succeeded.</summary>
    public string? ResultJson { get; set; }

    /// <summary>The sequence number of the job's newest event; events count up from 1 without gaps.</summary>
    public long LastEventSequence { get; set; }
}
