using System.Text.Json;
using Google.Protobuf.WellKnownTypes;
using Microsoft.EntityFrameworkCore;
using Training.V1;
using TrainingService.Core.Datasets;
using TrainingService.Core.Training;
using TrainingService.Persistence.Entities;

namespace TrainingService.Persistence;

/// <summary>What a worker needs to run an attempt, read when the attempt starts.</summary>
/// <param name="Checkpoint">The checkpoint to resume from, or null to train from the beginning.</param>
/// <param name="QueueWait">Time from the job's creation to its first attempt's start, by the store's clock.</param>
public sealed record AttemptStart(Guid JobId, int Attempt, JobSpec Spec, byte[]? Checkpoint, long CheckpointStep, TimeSpan QueueWait);

/// <summary>Thrown when a request id is reused with a different spec by the same owner.</summary>
public sealed class RequestIdConflictException(string requestId, Guid existingJobId)
    : Exception($"Request id '{requestId}' was already used for job {existingJobId} with a different spec.")
{
    public Guid ExistingJobId { get; } = existingJobId;
}

public enum CancelOutcome
{
    NotFound,
    AlreadyFinished,
    Cancelled,
    CancelRequested,
}

/// <summary>
/// Thrown when a worker writes for an attempt that is no longer current: the job was cancelled, finished, or
/// given to another worker that took it for dead.
/// </summary>
public sealed class StaleAttemptException(Guid jobId, int attempt)
    : Exception($"Job {jobId} is no longer running attempt {attempt}.");

/// <summary>
/// Reads and writes jobs, their runs, metrics, events and models. Every change that adds events locks the
/// job's row, so each job's event sequence counts up by one without gaps, with any number of writers.
/// </summary>
public sealed class JobStore(IDbContextFactory<TrainingDbContext> contexts, TimeProvider time)
{
    public async Task<JobRecord> CreateAsync(JobSpec spec, CancellationToken cancellationToken) =>
        (await CreateAsync(spec, ownerKeyId: null, requestId: null, cancellationToken)).Job;

    /// <summary>
    /// Stores a new queued job, or, when <paramref name="requestId"/> was already used by the same owner with an
    /// equal spec, returns that job with Created false. The unique index decides between concurrent retries.
    /// </summary>
    /// <exception cref="RequestIdConflictException">The request id was used with a different spec.</exception>
    public async Task<(JobRecord Job, bool Created)> CreateAsync(JobSpec spec, Guid? ownerKeyId, string? requestId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);

        var job = new JobRecord
        {
            Id = Guid.CreateVersion7(),
            OwnerKeyId = ownerKeyId,
            RequestId = string.IsNullOrEmpty(requestId) ? null : requestId,
            Name = spec.Name,
            SpecJson = JobMapper.ToJson(spec),
            State = JobState.Queued,
            CreatedAt = Now(),
        };

        // A retry finds its job here; only retries that race the first call meet the unique index below.
        if (job.RequestId is not null && await FindByRequestIdAsync(ownerKeyId, job.RequestId, cancellationToken) is { } earlier)
        {
            return (MatchRetry(spec, earlier), false);
        }

        try
        {
            await using var db = await contexts.CreateDbContextAsync(cancellationToken);
            db.Jobs.Add(job);
            AddEvent(db, job, new JobEvent { StateChanged = new StateChange { State = JobState.Queued } });
            await db.SaveChangesAsync(cancellationToken);
            return (job, true);
        }
        catch (DbUpdateException error) when (job.RequestId is not null && error.InnerException is Npgsql.PostgresException { SqlState: "23505" })
        {
            var winner = await FindByRequestIdAsync(ownerKeyId, job.RequestId, cancellationToken);
            return (MatchRetry(spec, winner!), false);
        }
    }

    private async Task<JobRecord?> FindByRequestIdAsync(Guid? ownerKeyId, string requestId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Jobs.AsNoTracking().SingleOrDefaultAsync(j => j.OwnerKeyId == ownerKeyId && j.RequestId == requestId, cancellationToken);
    }

    /// <summary>Returns the job an earlier call with the same request id created, when its spec is the same.</summary>
    private static JobRecord MatchRetry(JobSpec spec, JobRecord existing)
    {
        // Compared as messages: jsonb does not keep the formatting the spec was stored with.
        return JobMapper.FromJson<JobSpec>(existing.SpecJson).Equals(spec)
            ? existing
            : throw new RequestIdConflictException(existing.RequestId!, existing.Id);
    }

    /// <summary>The placeholder a process writes into queue_job_id while it creates the job's Hangfire job.</summary>
    public const string QueueClaim = "claimed";

    /// <summary>
    /// Claims a job for enqueueing: succeeds only for a queued job that no process has enqueued or claimed, so
    /// the submit path and the sweeper never both give it to Hangfire.
    /// </summary>
    public async Task<bool> ClaimForQueueAsync(Guid jobId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var claimed = await db.Jobs
            .Where(j => j.Id == jobId && j.QueueJobId == null && j.State == JobState.Queued)
            .ExecuteUpdateAsync(update => update.SetProperty(j => j.QueueJobId, QueueClaim), cancellationToken);
        return claimed == 1;
    }

    /// <summary>Returns queued jobs that no process has handed to Hangfire within <paramref name="olderThan"/> of their creation.</summary>
    public async Task<IReadOnlyList<JobRecord>> FindUnqueuedAsync(TimeSpan olderThan, int limit, CancellationToken cancellationToken)
    {
        var before = Now() - olderThan;
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Jobs.AsNoTracking()
            .Where(j => j.State == JobState.Queued && j.QueueJobId == null && j.CreatedAt < before)
            .OrderBy(j => j.CreatedAt).Take(limit)
            .ToListAsync(cancellationToken);
    }

    public async Task SetQueueJobIdAsync(Guid jobId, string queueJobId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await db.Jobs.Where(j => j.Id == jobId)
            .ExecuteUpdateAsync(update => update.SetProperty(j => j.QueueJobId, queueJobId), cancellationToken);
    }

    /// <summary>Marks a job that never reached the queue as failed, so no client waits on it forever.</summary>
    public async Task FailUnqueuedAsync(Guid jobId, string reason, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var job = await LockJobAsync(db, jobId, cancellationToken);

        if (job is { State: JobState.Queued })
        {
            await FinishAsync(db, job, JobState.Failed, reason, null, cancellationToken);
            await db.SaveChangesAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public Task<JobRecord?> FindAsync(Guid jobId, CancellationToken cancellationToken) => FindAsync(jobId, ownerKeyId: null, cancellationToken);

    /// <summary>Returns the job when it exists and, if <paramref name="ownerKeyId"/> is given, belongs to that key.</summary>
    public async Task<JobRecord?> FindAsync(Guid jobId, Guid? ownerKeyId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await Owned(db.Jobs.AsNoTracking(), ownerKeyId).SingleOrDefaultAsync(j => j.Id == jobId, cancellationToken);
    }

    /// <summary>
    /// Lists jobs newest first, after the job <paramref name="after"/> names when given, so that pages stay
    /// stable while new jobs arrive; only the owner's jobs when an owner is given.
    /// </summary>
    public async Task<IReadOnlyList<JobRecord>> ListAsync(
        JobState? state, Guid? ownerKeyId, (DateTime CreatedAt, Guid Id)? after, int limit, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var query = Owned(db.Jobs.AsNoTracking(), ownerKeyId);

        if (state is { } wanted)
        {
            query = query.Where(j => j.State == wanted);
        }

        if (after is var (createdAt, id))
        {
            query = query.Where(j => j.CreatedAt < createdAt || (j.CreatedAt == createdAt && j.Id.CompareTo(id) < 0));
        }

        return await query.OrderByDescending(j => j.CreatedAt).ThenByDescending(j => j.Id)
            .Take(limit).ToListAsync(cancellationToken);
    }

    /// <summary>
    /// Cancels a queued job at once, or flags a running one for its worker to stop; the worker then records
    /// the cancellation. A finished job is left as it is.
    /// </summary>
    public Task<(CancelOutcome Outcome, JobRecord? Job)> CancelAsync(Guid jobId, CancellationToken cancellationToken) =>
        CancelAsync(jobId, ownerKeyId: null, cancellationToken);

    public async Task<(CancelOutcome Outcome, JobRecord? Job)> CancelAsync(Guid jobId, Guid? ownerKeyId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var job = await LockJobAsync(db, jobId, cancellationToken);
        if (ownerKeyId is not null && job?.OwnerKeyId != ownerKeyId)
        {
            job = null;
        }

        var outcome = job?.State switch
        {
            null => CancelOutcome.NotFound,
            JobState.Queued => CancelOutcome.Cancelled,
            JobState.Running => CancelOutcome.CancelRequested,
            _ => CancelOutcome.AlreadyFinished,
        };

        if (outcome == CancelOutcome.Cancelled)
        {
            await FinishAsync(db, job!, JobState.Cancelled, "Cancelled by request before a worker started it.", null, cancellationToken);
        }
        else if (outcome == CancelOutcome.CancelRequested)
        {
            job!.CancelRequested = true;
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (outcome, job);
    }

    /// <summary>
    /// Marks the job running under a new attempt. When an earlier attempt left a checkpoint, the metric history
    /// is cut back to the checkpoint's step in the same transaction, so the resumed attempt adds no duplicates
    /// and leaves no gaps. Without one, the history is cleared and training starts over. Returns null when the
    /// job is gone or already finished, so the worker skips it.
    /// </summary>
    public async Task<AttemptStart?> StartAttemptAsync(Guid jobId, string workerName, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var job = await LockJobAsync(db, jobId, cancellationToken);

        if (job is null || JobMapper.IsFinished(job.State))
        {
            return null;
        }

        job.Attempt++;
        job.State = JobState.Running;
        job.StartedAt ??= Now();

        var checkpoint = await db.Checkpoints.AsNoTracking().SingleOrDefaultAsync(c => c.JobId == jobId, cancellationToken);
        var keptStep = checkpoint?.Step ?? 0;
        var keptEpoch = checkpoint?.Epoch ?? 1;
        await db.StepMetrics.Where(s => s.JobId == jobId && s.Step > keptStep).ExecuteDeleteAsync(cancellationToken);
        await db.EpochMetrics.Where(e => e.JobId == jobId && e.Epoch >= keptEpoch).ExecuteDeleteAsync(cancellationToken);
        job.LatestMetricsJson = checkpoint is null ? null : job.LatestMetricsJson;

        var spec = JobMapper.FromJson<JobSpec>(job.SpecJson);
        var layerNames = NetworkBuilder.LayerNames(spec);
        db.Runs.Add(new RunRecord { JobId = jobId, Attempt = job.Attempt, WorkerName = workerName, StartedAt = Now(), LayerNames = [.. layerNames] });

        var reason = (job.Attempt, checkpoint) switch
        {
            (1, _) => "",
            (_, null) => $"Attempt {job.Attempt}: the previous attempt stopped before its first checkpoint, so training starts over.",
            _ => $"Attempt {job.Attempt}: resuming from the checkpoint at step {checkpoint.Step} that the previous attempt left.",
        };
        AddEvent(db, job, new JobEvent { StateChanged = new StateChange { State = JobState.Running, Reason = reason } });

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new AttemptStart(jobId, job.Attempt, spec, checkpoint?.State, keptStep, job.StartedAt.Value - job.CreatedAt);
    }

    /// <summary>Replaces the job's checkpoint with a newer one of the current attempt.</summary>
    public async Task SaveCheckpointAsync(Guid jobId, int attempt, long step, int epoch, byte[] state, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await LockCurrentAttemptAsync(db, jobId, attempt, cancellationToken);

        var checkpoint = await db.Checkpoints.SingleOrDefaultAsync(c => c.JobId == jobId, cancellationToken);
        if (checkpoint is null)
        {
            checkpoint = new CheckpointRecord { JobId = jobId };
            db.Checkpoints.Add(checkpoint);
        }

        checkpoint.Attempt = attempt;
        checkpoint.Step = step;
        checkpoint.Epoch = epoch;
        checkpoint.State = state;
        checkpoint.CreatedAt = Now();

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<bool> IsCancelRequestedAsync(Guid jobId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Jobs.Where(j => j.Id == jobId).Select(j => j.CancelRequested).SingleOrDefaultAsync(cancellationToken);
    }

    /// <summary>Stores a batch of step rows, and the sampled ones among them as watchable events, in one transaction.</summary>
    public async Task AppendStepsAsync(Guid jobId, int attempt, IReadOnlyList<StepMetrics> steps, IReadOnlyList<StepMetrics> sampled, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var job = await LockCurrentAttemptAsync(db, jobId, attempt, cancellationToken);
        var now = Now();

        db.StepMetrics.AddRange(steps.Select(step => new StepMetricRecord
        {
            JobId = jobId,
            Step = step.Step,
            Epoch = step.Epoch,
            Loss = step.Loss,
            GradientNorm = step.GradientNorm,
            ClippedGradientNorm = step.ClippedGradientNorm,
            LayerGradientNorms = [.. step.LayerGradientNorms.Select(n => n.Norm)],
            LearningRate = step.LearningRate,
            RecordedAt = now,
        }));

        foreach (var step in sampled)
        {
            AddEvent(db, job, new JobEvent { Step = step });
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task RecordEpochAsync(Guid jobId, int attempt, EpochMetrics epoch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(epoch);

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var job = await LockCurrentAttemptAsync(db, jobId, attempt, cancellationToken);

        db.EpochMetrics.Add(new EpochMetricRecord
        {
            JobId = jobId,
            Epoch = epoch.Epoch,
            Step = epoch.Step,
            TrainLoss = epoch.TrainLoss,
            TrainAccuracy = epoch.HasTrainAccuracy ? epoch.TrainAccuracy : null,
            ValidationLoss = epoch.HasValidationLoss ? epoch.ValidationLoss : null,
            ValidationAccuracy = epoch.HasValidationAccuracy ? epoch.ValidationAccuracy : null,
            GradientNorm = epoch.GradientNorm,
            LayerGradientNorms = [.. epoch.LayerGradientNorms.Select(n => n.Norm)],
            SamplesPerSecond = epoch.SamplesPerSecond,
            EpochSeconds = epoch.EpochSeconds,
            LearningRate = epoch.LearningRate,
            RecordedAt = Now(),
        });

        job.LatestMetricsJson = JobMapper.ToJson(epoch);
        AddEvent(db, job, new JobEvent { Epoch = epoch });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Stores the trained model and the result and marks the job succeeded, all in one transaction.</summary>
    public async Task SucceedAsync(Guid jobId, int attempt, JobResult result, byte[] modelState, FeaturePreprocessing preprocessing, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(modelState);

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var job = await LockCurrentAttemptAsync(db, jobId, attempt, cancellationToken);

        await db.Models.Where(m => m.JobId == jobId).ExecuteDeleteAsync(cancellationToken);
        db.Models.Add(new ModelRecord
        {
            JobId = jobId,
            SpecJson = job.SpecJson,
            PreprocessingJson = JsonSerializer.Serialize(preprocessing),
            State = modelState,
            SizeBytes = modelState.Length,
            CreatedAt = Now(),
        });

        var run = await db.Runs.SingleAsync(r => r.JobId == jobId && r.Attempt == attempt, cancellationToken);
        run.Steps = result.Steps;
        run.TestLoss = result.HasTestLoss ? result.TestLoss : null;
        run.TestAccuracy = result.HasTestAccuracy ? result.TestAccuracy : null;
        run.TrainSeconds = result.TrainSeconds;

        job.ResultJson = JobMapper.ToJson(result);
        AddEvent(db, job, new JobEvent { Result = result });
        await FinishAsync(db, job, JobState.Succeeded, null, run, cancellationToken);

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Ends the current attempt as failed or cancelled, with a reason a person can act on.</summary>
    public async Task EndAsync(Guid jobId, int attempt, JobState state, string reason, CancellationToken cancellationToken)
    {
        if (state is not (JobState.Failed or JobState.Cancelled))
        {
            throw new ArgumentOutOfRangeException(nameof(state), state, "Only FAILED and CANCELLED end a job without a result.");
        }

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var job = await LockCurrentAttemptAsync(db, jobId, attempt, cancellationToken);
        var run = await db.Runs.SingleOrDefaultAsync(r => r.JobId == jobId && r.Attempt == attempt, cancellationToken);

        await FinishAsync(db, job, state, reason, run, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Returns up to <paramref name="limit"/> of the job's events after <paramref name="afterSequence"/>, oldest first.</summary>
    public async Task<IReadOnlyList<JobEvent>> ReadEventsAsync(Guid jobId, long afterSequence, int limit, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var records = await db.JobEvents.AsNoTracking()
            .Where(e => e.JobId == jobId && e.Sequence > afterSequence)
            .OrderBy(e => e.Sequence).Take(limit)
            .ToListAsync(cancellationToken);
        return records.ConvertAll(JobMapper.ToEvent);
    }

    /// <summary>
    /// Returns up to <paramref name="maxSteps"/> step rows after <paramref name="afterStep"/>, every epoch row, and
    /// the layer names of the job's latest run, which give the order of each row's layer gradient norms.
    /// </summary>
    public async Task<(IReadOnlyList<StepMetricRecord> Steps, IReadOnlyList<EpochMetricRecord> Epochs, string[] LayerNames)> ReadMetricsAsync(
        Guid jobId, long afterStep, int maxSteps, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var steps = await db.StepMetrics.AsNoTracking()
            .Where(s => s.JobId == jobId && s.Step > afterStep)
            .OrderBy(s => s.Step).Take(maxSteps)
            .ToListAsync(cancellationToken);
        var epochs = await db.EpochMetrics.AsNoTracking()
            .Where(e => e.JobId == jobId)
            .OrderBy(e => e.Epoch)
            .ToListAsync(cancellationToken);
        var layerNames = await db.Runs.AsNoTracking()
            .Where(r => r.JobId == jobId)
            .OrderByDescending(r => r.Attempt).Select(r => r.LayerNames)
            .FirstOrDefaultAsync(cancellationToken);
        return (steps, epochs, layerNames ?? []);
    }

    public async Task<ModelRecord?> FindModelAsync(Guid jobId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Models.AsNoTracking().SingleOrDefaultAsync(m => m.JobId == jobId, cancellationToken);
    }

    private async Task FinishAsync(TrainingDbContext db, JobRecord job, JobState state, string? reason, RunRecord? run, CancellationToken cancellationToken)
    {
        // A finished job never resumes, so its checkpoint only takes space. The delete runs in the caller's transaction.
        await db.Checkpoints.Where(c => c.JobId == job.Id).ExecuteDeleteAsync(cancellationToken);

        job.State = state;
        job.FinishedAt = Now();
        job.FailureReason = reason;

        if (run is not null)
        {
            run.FinishedAt = job.FinishedAt;
            run.Outcome = state.ToString().ToUpperInvariant();
        }

        AddEvent(db, job, new JobEvent { StateChanged = new StateChange { State = state, Reason = reason ?? "" } });
    }

    private void AddEvent(TrainingDbContext db, JobRecord job, JobEvent jobEvent)
    {
        job.LastEventSequence++;
        jobEvent.Sequence = job.LastEventSequence;
        jobEvent.JobId = job.Id.ToString();
        jobEvent.Time = Timestamp.FromDateTime(Now());

        db.JobEvents.Add(new JobEventRecord
        {
            JobId = job.Id,
            Sequence = jobEvent.Sequence,
            Kind = jobEvent.EventCase.ToString(),
            PayloadJson = JobMapper.ToJson(jobEvent),
            CreatedAt = jobEvent.Time.ToDateTime(),
        });
    }

    private static IQueryable<JobRecord> Owned(IQueryable<JobRecord> jobs, Guid? ownerKeyId) =>
        ownerKeyId is { } owner ? jobs.Where(j => j.OwnerKeyId == owner) : jobs;

    private static Task<JobRecord?> LockJobAsync(TrainingDbContext db, Guid jobId, CancellationToken cancellationToken) =>
        db.Jobs.FromSql($"SELECT * FROM jobs WHERE id = {jobId} FOR UPDATE").AsTracking().SingleOrDefaultAsync(cancellationToken);

    private static async Task<JobRecord> LockCurrentAttemptAsync(TrainingDbContext db, Guid jobId, int attempt, CancellationToken cancellationToken)
    {
        var job = await LockJobAsync(db, jobId, cancellationToken);

        if (job is null || job.State != JobState.Running || job.Attempt != attempt)
        {
            throw new StaleAttemptException(jobId, attempt);
        }

        return job;
    }

    private DateTime Now() => time.GetUtcNow().UtcDateTime;
}
