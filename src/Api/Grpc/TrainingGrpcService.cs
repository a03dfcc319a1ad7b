using Grpc.Core;
using Hangfire;
using Hangfire.States;
using Training.V1;
using TrainingService.Core.Specs;
using TrainingService.Core.Telemetry;
using TrainingService.Persistence;
using TrainingService.Persistence.Queue;
using TrainingGrpc = Training.V1.TrainingService;

namespace TrainingService.Api.Grpc;

/// <summary>The gRPC face of the service: validates, stores and queues jobs, and reads back what workers record.</summary>
internal sealed class TrainingGrpcService(
    JobStore store,
    IBackgroundJobClient queue,
    JobEventStreamer streamer,
    TrainingInstrumentation instrumentation,
    ILogger<TrainingGrpcService> logger) : TrainingGrpc.TrainingServiceBase
{
    private const int DefaultPageSize = 50;
    private const int MaxPageSize = 500;

    public override async Task<Job> SubmitJob(SubmitJobRequest request, ServerCallContext context)
    {
        // Field paths start at the request message, so a spec field reads "spec.optimizer.learning_rate".
        var violations = JobSpecValidator.Validate(request.Spec)
            .Select(v => v.Field == "spec" ? v : v with { Field = "spec." + v.Field })
            .ToList();

        if (violations.Count > 0)
        {
            logger.SpecRejected(violations.Count, violations[0].Field, violations[0].Description);
            throw RpcErrors.InvalidArgument($"The job spec is invalid: {violations.Count} field violation(s), first {violations[0].Field}: {violations[0].Description}", violations);
        }

        var job = await store.CreateAsync(request.Spec, context.CancellationToken);
        await EnqueueAsync(job.Id, job.Name, context.CancellationToken);
        return JobMapper.ToJob((await store.FindAsync(job.Id, context.CancellationToken))!);
    }

    public override async Task<Job> GetJob(GetJobRequest request, ServerCallContext context)
    {
        var jobId = ParseJobId(request.JobId);
        var job = await store.FindAsync(jobId, context.CancellationToken) ?? throw RpcErrors.NotFound(request.JobId);
        return JobMapper.ToJob(job);
    }

    public override async Task<ListJobsResponse> ListJobs(ListJobsRequest request, ServerCallContext context)
    {
        var pageSize = request.PageSize switch
        {
            0 => DefaultPageSize,
            >= 1 and <= MaxPageSize => request.PageSize,
            _ => throw RpcErrors.InvalidField("page_size", $"is {request.PageSize}; it must be from 1 to {MaxPageSize}, or 0 for {DefaultPageSize}"),
        };

        if (!Enum.IsDefined(request.State))
        {
            throw RpcErrors.InvalidField("state", $"{(int)request.State} is not a known job state");
        }

        var offset = PageToken.Parse(request.PageToken);
        var state = request.State == JobState.Unspecified ? (JobState?)null : request.State;
        var jobs = await store.ListAsync(state, offset, pageSize + 1, context.CancellationToken);

        var response = new ListJobsResponse();
        response.Jobs.AddRange(jobs.Take(pageSize).Select(JobMapper.ToJob));
        response.NextPageToken = jobs.Count > pageSize ? PageToken.Format(offset + pageSize) : "";
        return response;
    }

    public override async Task<Job> CancelJob(CancelJobRequest request, ServerCallContext context)
    {
        var jobId = ParseJobId(request.JobId);
        var (outcome, job) = await store.CancelAsync(jobId, context.CancellationToken);
        logger.JobCancel(jobId, outcome.ToString());

        switch (outcome)
        {
            case CancelOutcome.NotFound:
                throw RpcErrors.NotFound(request.JobId);
            case CancelOutcome.AlreadyFinished:
                throw RpcErrors.FailedPrecondition(
                    $"Job {jobId} already ended as {job!.State.ToString().ToUpperInvariant()}; only queued or running jobs can be cancelled.");
            case CancelOutcome.Cancelled:
                instrumentation.RecordFinished(JobState.Cancelled, duration: null);
                if (job!.QueueJobId is { } queueJobId)
                {
                    queue.Delete(queueJobId);
                }

                break;
        }

        return JobMapper.ToJob((await store.FindAsync(jobId, context.CancellationToken))!);
    }

    public override Task WatchJob(WatchJobRequest request, IServerStreamWriter<JobEvent> responseStream, ServerCallContext context)
    {
        var jobId = ParseJobId(request.JobId);

        if (request.AfterSequence < 0)
        {
            throw RpcErrors.InvalidField("after_sequence", $"is {request.AfterSequence}; it must be 0 or more");
        }

        return streamer.StreamAsync(jobId, request.AfterSequence, responseStream, context.CancellationToken);
    }

    private async Task EnqueueAsync(Guid jobId, string jobName, CancellationToken cancellationToken)
    {
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

    private static Guid ParseJobId(string jobId)
    {
        if (string.IsNullOrEmpty(jobId))
        {
            throw RpcErrors.InvalidField("job_id", "is required");
        }

        return Guid.TryParse(jobId, out var id) ? id : throw RpcErrors.InvalidField("job_id", $"'{jobId}' is not a job id; job ids are UUIDs");
    }
}
