using Microsoft.Extensions.Options;
using TrainingService.Persistence;

namespace TrainingService.Api.Queueing;

/// <summary>Settings of the sweeper, from the "Queue" configuration section.</summary>
public sealed class SweeperOptions
{
    public const string SectionName = "Queue";

    /// <summary>How often the sweeper looks for stored jobs that never reached Hangfire.</summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How old such a job must be, so that a submit still under way is left to finish its own enqueue.</summary>
    [System.ComponentModel.DataAnnotations.Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan SweepAfter { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>
/// Enqueues jobs that were stored but never handed to Hangfire, because the API process that stored them
/// stopped in between, so no submitted job waits forever.
/// </summary>
internal sealed class UnqueuedJobSweeper(JobStore store, JobQueue queue, IOptions<SweeperOptions> options, ILogger<UnqueuedJobSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SweepInterval);

        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await SweepAsync(stoppingToken);
            }
            catch (Exception exception) when (DatabaseErrors.IsTransient(exception) || exception is global::Grpc.Core.RpcException)
            {
                logger.SweepFailed(exception);
            }
        }
    }

    private async Task SweepAsync(CancellationToken cancellationToken)
    {
        foreach (var job in await store.FindUnqueuedAsync(options.Value.SweepAfter, 100, cancellationToken))
        {
            logger.SweepingJob(job.Id, job.CreatedAt);
            await queue.EnqueueAsync(job.Id, job.Name, cancellationToken);
        }
    }
}
