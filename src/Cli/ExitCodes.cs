namespace TrainingService.Cli;

/// <summary>Process exit codes of trainctl, so scripts can tell a failed job from a failed call.</summary>
internal static class ExitCodes
{
    /// <summary>The call worked; for watch and submit --watch, the job ended SUCCEEDED.</summary>
    public const int Succeeded = 0;

    /// <summary>The watched job ended FAILED or CANCELLED.</summary>
    public const int JobFailed = 1;

    /// <summary>Bad usage, an unreadable or invalid job file, a spec the server rejected, an unknown job, or a job in the wrong state.</summary>
    public const int InvalidRequest = 2;

    /// <summary>The server could not be reached or did not answer in time.</summary>
    public const int ServerUnreachable = 3;

    /// <summary>The server returned any other gRPC error, such as INTERNAL.</summary>
    public const int ServerError = 4;

    /// <summary>The user interrupted trainctl (Ctrl+C or SIGTERM), following the shell's 128 + SIGINT convention.</summary>
    public const int Interrupted = 130;
}
