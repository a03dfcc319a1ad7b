using TrainingService.Persistence;

namespace TrainingService.Worker;

/// <summary>
/// Retries a database write through a PostgreSQL outage: with back-off doubling from 250 ms up to 5 s, for
/// as long as it takes, so a running job loses no metric point while the database is away.
/// </summary>
internal static class StoreRetry
{
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(5);

    public static async Task RunAsync(Func<Task> write, ILogger logger, Guid jobId, CancellationToken cancellationToken = default)
    {
        var delay = TimeSpan.FromMilliseconds(250);

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await write();
                return;
            }
            catch (Exception exception) when (DatabaseErrors.IsTransient(exception) && !cancellationToken.IsCancellationRequested)
            {
                logger.StoreWriteRetry(exception, jobId, attempt, (int)delay.TotalMilliseconds);
                await Task.Delay(delay, cancellationToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxDelay.Ticks));
            }
        }
    }
}
