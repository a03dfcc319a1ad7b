using Grpc.Core;
using Training.V1;
using TrainingService.Persistence;

namespace TrainingService.Api.Grpc;

/// <summary>
/// Streams a job's events from PostgreSQL: first the recorded history after a sequence number, then new events
/// as workers record them, until the event that ends the job.
/// </summary>
internal sealed class JobEventStreamer(JobStore store)
{
    private const int BatchSize = 500;

    // Workers flush metrics about twice a second, so polling faster than this would mostly find nothing.
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    public async Task StreamAsync(Guid jobId, Guid? owner, long afterSequence, IServerStreamWriter<JobEvent> stream, CancellationToken cancellationToken)
    {
        var job = await store.FindAsync(jobId, owner, cancellationToken) ?? throw RpcErrors.NotFound(jobId.ToString());
        var lastSequence = afterSequence;

        // A client that resumes after a finished job's last event gets nothing more. Any other stream ends
        // with the final event itself, so the loop below needs no further look at the job.
        if (JobMapper.IsFinished(job.State) && job.LastEventSequence <= lastSequence)
        {
            return;
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            var events = await store.ReadEventsAsync(jobId, lastSequence, BatchSize, cancellationToken);

            foreach (var jobEvent in events)
            {
                await stream.WriteAsync(jobEvent, cancellationToken);
                lastSequence = jobEvent.Sequence;

                if (IsFinal(jobEvent))
                {
                    return;
                }
            }

            if (events.Count == 0)
            {
                // NOTE: every open stream polls PostgreSQL; 200 streams at once approach the connection pool's
                // default of 100. Waking streams with LISTEN/NOTIFY instead would remove the polling.
                await Task.Delay(PollInterval, cancellationToken);
            }
        }
    }

    private static bool IsFinal(JobEvent jobEvent) =>
        jobEvent.EventCase == JobEvent.EventOneofCase.StateChanged && JobMapper.IsFinished(jobEvent.StateChanged.State);
}
