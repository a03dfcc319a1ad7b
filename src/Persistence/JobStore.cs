using Google.Protobuf.WellKnownTypes;
using Microsoft.EntityFrameworkCore;
using Training.V1;
using TrainingService.Core.Training;
using TrainingService.Persistence.Entities;

namespace TrainingService.Persistence;

/// <summary>What a worker needs to run an attempt, read when the attempt starts.</summary>
/// <param name="QueueWait">Time from the job's creation to this attempt's start, by the store's clock.</param>
public sealed record AttemptStart(Guid JobId, int Attempt, JobSpec Spec, TimeSpan QueueWait);

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
/// job's row, so each job's event sequence counts up by one without gaps, whoever writes.
/// </summary>
public sealed class JobStore(IDbContextFactory<TrainingDbContext> contexts, TimeProvider time)
{
    public async Task<JobRecord> CreateAsync(JobSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var job = new JobRecord
        {
            Id = Guid.CreateVersion7(),
            Name = spec.Name,
            SpecJson = JobMapper.ToJson(spec),
            State = JobState.Queued,
            CreatedAt = Now(),
        };

        db.Jobs.Add(job);
        AddEvent(db, job, new JobEvent { StateChanged = new StateChange { State = JobState.Queued } });
        await db.SaveChangesAsync(cancellationToken);
        return job;
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
            Finish(db, job, JobState.Failed, reason);
            await db.SaveChangesAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<JobRecord?> FindAsync(Guid jobId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Jobs.AsNoTracking().SingleOrDefaultAsync(j => j.Id == jobId, cancellationToken);
    }

    /// <summary>Lists jobs newest first, skipping <paramref name="offset"/> of them.</summary>
    public async Task<IReadOnlyList<JobRecord>> ListAsync(JobState? state, int offset, int limit, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        var query = db.Jobs.AsNoTracking();

        if (state is { } wanted)
        {
            query = query.Where(j => j.State == wanted);
        }

        return await query.OrderByDescending(j => j.CreatedAt).ThenByDescending(j => j.Id)
            .Skip(offset).Take(limit).ToListAsync(cancellationToken);
    }

    /// <summary>
    /// Cancels a queued job at once, or asks the worker of a running one to stop; the worker then records
    /// the cancellation. A finished job is left as it is.
    /// </summary>
    public async Task<(CancelOutcome Outcome, JobRecord? Job)> CancelAsync(Guid jobId, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var job = await LockJobAsync(db, jobId, cancellationToken);

        var outcome = job?.State switch
        {
            null => CancelOutcome.NotFound,
            JobState.Queued => CancelOutcome.Cancelled,
            JobState.Running => CancelOutcome.CancelRequested,
            _ => CancelOutcome.AlreadyFinished,
        };

        if (outcome == CancelOutcome.Cancelled)
        {
            Finish(db, job!, JobState.Cancelled, "Cancelled by request before a worker started it.");
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
    /// Marks the job running under a new attempt and clears the metrics of any earlier attempt, which trained
    /// from scratch too. Returns null when the job is gone or already finished, so the worker skips it.
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
        job.StartedAt = Now();
        job.LatestMetricsJson = null;

        await db.StepMetrics.Where(s => s.JobId == jobId).ExecuteDeleteAsync(cancellationToken);
        await db.EpochMetrics.Where(e => e.JobId == jobId).ExecuteDeleteAsync(cancellationToken);
        var spec = JobMapper.FromJson<JobSpec>(job.SpecJson);
        var layerNames = NetworkBuilder.LayerNames(spec);
        db.Runs.Add(new RunRecord { JobId = jobId, Attempt = job.Attempt, WorkerName = workerName, StartedAt = Now(), LayerNames = [.. layerNames] });

        var reason = job.Attempt == 1 ? "" : $"Attempt {job.Attempt}: the previous worker stopped before finishing, so training restarts from the beginning.";
        AddEvent(db, job, new JobEvent { StateChanged = new StateChange { State = JobState.Running, Reason = reason } });

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new AttemptStart(jobId, job.Attempt, spec, job.StartedAt.Value - job.CreatedAt);
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
            ValidationLoss = epoch.ValidationLoss,
            ValidationAccuracy = epoch.ValidationAccuracy,
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
    public async Task SucceedAsync(Guid jobId, int attempt, JobResult result, byte[] modelState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(modelState);

        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var job = await LockCurrentAttemptAsync(db, jobId, attempt, cancellationToken);

        await db.Models.Where(m => m.JobId == jobId).ExecuteDeleteAsync(cancellationToken);
        db.Models.Add(new ModelRecord { JobId = jobId, SpecJson = job.SpecJson, State = modelState, SizeBytes = modelState.Length, CreatedAt = Now() });

        var run = await db.Runs.SingleAsync(r => r.JobId == jobId && r.Attempt == attempt, cancellationToken);
        run.Steps = result.Steps;
        run.TestLoss = result.TestLoss;
        run.TestAccuracy = result.TestAccuracy;
        run.TrainSeconds = result.TrainSeconds;

        job.ResultJson = JobMapper.ToJson(result);
        AddEvent(db, job, new JobEvent { Result = result });
        Finish(db, job, JobState.Succeeded, null, run);

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

        Finish(db, job, state, reason, run);
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

    private void Finish(TrainingDbContext db, JobRecord job, JobState state, string? reason, RunRecord? run = null)
    {
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
