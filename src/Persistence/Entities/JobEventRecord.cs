namespace TrainingService.Persistence.Entities;

/// <summary>One event of a job's history, as WatchJob streams it: the proto3 JSON of a JobEvent.</summary>
public sealed class JobEventRecord
{
    public Guid JobId { get; set; }

    public long Sequence { get; set; }

    public string Kind { get; set; } = "";

    public string PayloadJson { get; set; } = "";

    public DateTime CreatedAt { get; set; }
}
