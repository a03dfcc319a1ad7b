namespace TrainingService.Persistence.Entities;

/// <summary>One execution of a job by a worker. A job whose worker died gets a new attempt of the same run.</summary>
public sealed class RunRecord
{
    public Guid JobId { get; set; }

    public int Attempt { get; set; }

    /// <summary>The worker host's name and process id, for finding its logs.</summary>
    public string WorkerName { get; set; } = "";

    public DateTime StartedAt { get; set; }

    public DateTime? FinishedAt { get; set; }

    /// <summary>The final job state the attempt reached, or null while it runs or when its worker died.</summary>
    public string? Outcome { get; set; }

    /// <summary>Names of the parameterised layers, in the order of each metric row's layer gradient norms.</summary>
    public string[] LayerNames { get; set; } = [];

    public long Steps { get; set; }

    public double? TestLoss { get; set; }

    public double? TestAccuracy { get; set; }

    public double? TrainSeconds { get; set; }
}
