using Hangfire;
using Hangfire.States;
using Training.V1;
using TrainingService.Api.Grpc;
using TrainingService.Core.Telemetry;
using TrainingService.Persistence;
using TrainingService.Persistence.Queue;

namespace TrainingService.Api.Queueing;

/// <summary>Hands stored jobs to Hangfire, once each, whether from SubmitJob or from the sweeper.</summary>
internal sealed class JobQueue(JobStore store, IBackgroundJobClient queue, TrainingInstrumentation instrumentation, ILogger<JobQueue> logger)
{
    /// <summary>
    /// Enqueues a stored job unless another process already claimed it. When Hangfire refuses, the job is
    /// marked failed so that no client waits on it, and UNAVAILABLE is thrown.
    /// </summary>
    public async Task EnqueueAsync(Guid jobId, string jobName, CancellationToken cancellationToken)
    {
        if (!await store.ClaimForQueueAsync(jobId, cancellationToken))
        {
            return;
        }

        string queueJobId;

        try
        {
            queueJobId = queue.Create<ITrainingJobRunner>(runner => runner.RunAsync(jobId, CancellationToken.None), new EnqueuedState(QueueSetup.TrainingQueue));
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            logger.EnqueueFailed(exception, jobId);
            await store.FailUnqueuedAsync(jobId, "The job could not be queued; submit it again.", CancellationToken.None);
            instrumentation.RecordFinished(JobState.Failed, duration: null);
            throw RpcErrors.Unavailable($"Job {jobId} was stored but could not be queued; submit it again.");
        }

        await store.SetQueueJobIdAsync(jobId, queueJobId, cancellationToken);
        instrumentation.RecordSubmitted();
        logger.JobSubmitted(jobId, jobName, queueJobId);
    }
}
