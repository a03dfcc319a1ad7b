using Google.Protobuf;
using Grpc.Core;
using Hangfire;
using Hangfire.States;
using Training.V1;
using TrainingService.Api.Auth;
using TrainingService.Api.Queueing;
using TrainingService.Core.Specs;
using TrainingService.Core.Telemetry;
using TrainingService.Core.Training;
using TrainingService.Persistence;
using TrainingService.Persistence.Queue;
using TrainingGrpc = Training.V1.TrainingService;

namespace TrainingService.Api.Grpc;

/// <summary>The gRPC face of the service: validates, stores and queues jobs, and reads back what workers record.</summary>
internal sealed class TrainingGrpcService(
    JobStore store,
    IBackgroundJobClient queue,
    JobQueue jobQueue,
    JobEventStreamer streamer,
    ModelRequests models,
    TrainingInstrumentation instrumentation,
    JobLimits limits,
    ILogger<TrainingGrpcService> logger) : TrainingGrpc.TrainingServiceBase
{
    private const int DefaultPageSize = 50;
    private const int MaxPageSize = 500;
    private const int DefaultMetricSteps = 5_000;
    private const int MaxMetricSteps = 10_000;
    private const int ModelChunkBytes = 1024 * 1024;

    public override async Task<Job> SubmitJob(SubmitJobRequest request, ServerCallContext context)
    {
        // Field paths start at the request message, so a spec field reads "spec.optimizer.learning_rate".
        var violations = JobSpecValidator.Validate(request.Spec, limits)
            .Select(v => v.Field == "spec" ? v : v with { Field = "spec." + v.Field })
            .ToList();

        if (violations.Count > 0)
        {
            logger.SpecRejected(violations.Count, violations[0].Field, violations[0].Description);
            throw RpcErrors.InvalidArgument($"The job spec is invalid: {violations.Count} field violation(s), first {violations[0].Field}: {violations[0].Description}", violations);
        }

        ValidateRequestId(request.RequestId);
        var owner = ApiKeyInterceptor.CallerKeyId(context);
        var (job, created) = await CreateAsync(request, owner, context.CancellationToken);

        if (created)
        {
            await jobQueue.EnqueueAsync(job.Id, job.Name, context.CancellationToken);
        }

        return JobMapper.ToJob((await store.FindAsync(job.Id, context.CancellationToken))!);
    }

    public override async Task<Job> GetJob(GetJobRequest request, ServerCallContext context)
    {
        var jobId = ParseJobId(request.JobId);
        var job = await store.FindAsync(jobId, ApiKeyInterceptor.CallerKeyId(context), context.CancellationToken) ?? throw RpcErrors.NotFound(request.JobId);
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

        var after = PageToken.Parse(request.PageToken);
        var state = request.State == JobState.Unspecified ? (JobState?)null : request.State;
        var jobs = await store.ListAsync(state, ApiKeyInterceptor.CallerKeyId(context), after, pageSize + 1, context.CancellationToken);

        var response = new ListJobsResponse();
        var page = jobs.Take(pageSize).ToList();
        response.Jobs.AddRange(page.Select(JobMapper.ToJob));
        response.NextPageToken = jobs.Count > pageSize ? PageToken.Format(page[^1].CreatedAt, page[^1].Id) : "";
        return response;
    }

    public override async Task<Job> CancelJob(CancelJobRequest request, ServerCallContext context)
    {
        var jobId = ParseJobId(request.JobId);
        var (outcome, job) = await store.CancelAsync(jobId, ApiKeyInterceptor.CallerKeyId(context), context.CancellationToken);
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
                if (job!.QueueJobId is { } queueJobId && queueJobId != JobStore.QueueClaim)
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

        return streamer.StreamAsync(jobId, ApiKeyInterceptor.CallerKeyId(context), request.AfterSequence, responseStream, context.CancellationToken);
    }

    public override async Task<GetMetricsResponse> GetMetrics(GetMetricsRequest request, ServerCallContext context)
    {
        var jobId = ParseJobId(request.JobId);
        var maxSteps = request.MaxSteps switch
        {
            0 => DefaultMetricSteps,
            >= 1 and <= MaxMetricSteps => request.MaxSteps,
            _ => throw RpcErrors.InvalidField("max_steps", $"is {request.MaxSteps}; it must be from 1 to {MaxMetricSteps}, or 0 for {DefaultMetricSteps}"),
        };

        if (request.AfterStep < 0)
        {
            throw RpcErrors.InvalidField("after_step", $"is {request.AfterStep}; it must be 0 or more");
        }

        _ = await store.FindAsync(jobId, ApiKeyInterceptor.CallerKeyId(context), context.CancellationToken) ?? throw RpcErrors.NotFound(request.JobId);
        var (steps, epochs, layerNames) = await store.ReadMetricsAsync(jobId, request.AfterStep, maxSteps, context.CancellationToken);

        var response = new GetMetricsResponse { NextAfterStep = steps.Count == maxSteps ? steps[^1].Step : 0 };
        response.Steps.AddRange(steps.Select(step => JobMapper.ToStepMetrics(step, layerNames)));
        response.Epochs.AddRange(epochs.Select(epoch => JobMapper.ToEpochMetrics(epoch, layerNames)));
        return response;
    }

    public override async Task DownloadModel(DownloadModelRequest request, IServerStreamWriter<ModelChunk> responseStream, ServerCallContext context)
    {
        var model = await models.FindSucceededModelAsync(ParseJobId(request.JobId), request.JobId, ApiKeyInterceptor.CallerKeyId(context), context.CancellationToken);

        await responseStream.WriteAsync(new ModelChunk { Description = ModelRequests.Describe(model) }, context.CancellationToken);
        for (var offset = 0; offset < model.State.Length; offset += ModelChunkBytes)
        {
            var length = Math.Min(ModelChunkBytes, model.State.Length - offset);
            await responseStream.WriteAsync(new ModelChunk { Data = ByteString.CopyFrom(model.State, offset, length) }, context.CancellationToken);
        }
    }

    public override async Task<PredictResponse> Predict(PredictRequest request, ServerCallContext context)
    {
        var jobId = ParseJobId(request.JobId);
        var model = await models.FindSucceededModelAsync(jobId, request.JobId, ApiKeyInterceptor.CallerKeyId(context), context.CancellationToken);
        var spec = JobMapper.FromJson<JobSpec>(model.SpecJson);
        var rows = ModelRequests.ReadRows(request, spec);

        // Inference runs libtorch on the CPU; a pool thread keeps it off the request's synchronisation context.
        var (outputs, width) = await Task.Run(() => Predictor.Predict(spec, model.State, ModelRequests.ReadPreprocessing(model), rows), context.CancellationToken);
        return ModelRequests.ToResponse(spec, outputs, width);
    }

    private async Task<(Persistence.Entities.JobRecord Job, bool Created)> CreateAsync(SubmitJobRequest request, Guid? owner, CancellationToken cancellationToken)
    {
        try
        {
            return await store.CreateAsync(request.Spec, owner, request.RequestId, cancellationToken);
        }
        catch (RequestIdConflictException conflict)
        {
            throw new RpcException(new global::Grpc.Core.Status(StatusCode.AlreadyExists,
                $"request_id '{request.RequestId}' was already used for job {conflict.ExistingJobId} with a different spec; use a new request_id for a new job."));
        }
    }

    private static void ValidateRequestId(string requestId)
    {
        if (requestId.Length > 128 || requestId.Any(c => c is < ' ' or > '~'))
        {
            throw RpcErrors.InvalidField("request_id", "must be at most 128 printable ASCII characters; a UUID is a good choice");
        }
    }

    private static Guid ParseJobId(string jobId)
    {
        if (string.IsNullOrEmpty(jobId))
        {
            throw RpcErrors.InvalidField("job_id", "is required");
        }

        // Only the start of a long value is echoed, so the error's trailers stay small.
        var echoed = jobId.Length <= 40 ? jobId : jobId[..40] + "…";
        return Guid.TryParse(jobId, out var id) ? id : throw RpcErrors.InvalidField("job_id", $"'{echoed}' is not a job id; job ids are UUIDs");
    }
}
