using Hangfire;

namespace TrainingService.Persistence.Queue;

/// <summary>
/// The Hangfire job that trains one job. It takes only the job's id and reads the rest from PostgreSQL, so
/// jobs already in the queue survive a change of this code.
/// </summary>
public interface ITrainingJobRunner
{
    /// <summary>
    /// Runs the job to a final state. Training failures (an invalid spec, divergence, a cancel) end the job in
    /// its own state and return normally, so Hangfire never retries them. Only infrastructure faults, such
    /// as a lost database, throw and are retried; a shutdown rethrows its cancellation so Hangfire requeues.
    /// </summary>
    /// <param name="cancellationToken">Hangfire's shutdown token; enqueue with CancellationToken.None.</param>
    // No JobDisplayName attribute here, because Hangfire 1.8 ignores DashboardOptions.DisplayNameFunc for a
    // method that has one, and the API's DisplayNameFunc shows each job's name beside its id.
    [AutomaticRetry(Attempts = 3, DelaysInSeconds = [10, 30, 60], OnAttemptsExceeded = AttemptsExceededAction.Fail)]
    Task RunAsync(Guid jobId, CancellationToken cancellationToken);
}
