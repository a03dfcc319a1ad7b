using System.ComponentModel.DataAnnotations;

namespace TrainingService.Worker;

/// <summary>Settings of a worker host, from the "Worker" configuration section (Worker__Concurrency and so on).</summary>
public sealed class WorkerOptions
{
    public const string SectionName = "Worker";

    /// <summary>
    /// Jobs one process trains at once. Keep 1: torch's global generator seeds initialisation and dropout, so
    /// concurrent jobs in one process would not be reproducible, and one job already uses every core.
    /// </summary>
    [Range(1, 1)]
    public int Concurrency { get; set; } = 1;

    /// <summary>Threads libtorch may use for one job; 0 means one per processor.</summary>
    [Range(0, 1024)]
    public int TorchThreads { get; set; }

    /// <summary>How long step metrics gather before they are written to PostgreSQL in one batch.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:01:00")]
    public TimeSpan MetricsFlushInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How often a running job checks whether a client asked to cancel it.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:00")]
    public TimeSpan CancelPollInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The least time between two step events that watching clients receive; every step is still stored.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan StepEventInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Steps between two checkpoints of a running job; a worker that dies loses at most this many.</summary>
    [Range(1, 10_000_000)]
    public int CheckpointEverySteps { get; set; } = 500;

    /// <summary>Wall time between two checkpoints, whichever of this and the step count comes first.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a shutdown waits for the interrupted job's last metrics and checkpoint to be stored.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan ShutdownDrainTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Whether the host applies pending database migrations when it starts.</summary>
    public bool ApplyMigrations { get; set; } = true;
}
