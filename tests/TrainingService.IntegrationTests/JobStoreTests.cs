using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Training.V1;
using TrainingService.Core.Datasets;
using TrainingService.IntegrationTests.Infrastructure;
using TrainingService.Persistence;
using TrainingService.Persistence.Entities;
using EventCase = Training.V1.JobEvent.EventOneofCase;

namespace TrainingService.IntegrationTests;

/// <summary>
/// Checks JobStore's contract against a real PostgreSQL: gapless event sequences under concurrent writers,
/// cancellation per state, and rejection of writes from stale attempts. Tests that count every job in the
/// database create a database of their own. The others share the class fixture's.
/// </summary>
public class JobStoreTests(StoreFixture fixture) : IClassFixture<StoreFixture>
{
    private static readonly FeaturePreprocessing Preprocessing = new(1f / 16f, null, null);

    private const string WorkerName = "test-worker";

    private StoreDatabase Database => fixture.Database;

    private JobStore Store => fixture.Database.Store;

    [Fact]
    public async Task MigrateAsync_AppliedTwice_KeepsSchemaAndRows()
    {
        await using var database = await TestDatabase.CreateAsync();
        await PersistenceSetup.MigrateAsync(database.ConnectionString, CancellationToken.None);
        var jobId = await CreateJobThroughNewStoreAsync(database.ConnectionString);
        var schemaBefore = await ReadSchemaAsync(database.ConnectionString);
        Assert.Contains("jobs.last_event_sequence bigint NO", schemaBefore);

        await PersistenceSetup.MigrateAsync(database.ConnectionString, CancellationToken.None);

        Assert.Equal(schemaBefore, await ReadSchemaAsync(database.ConnectionString));
        await using var db = CreateDbContext(database.ConnectionString);
        Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.Equal(1, await db.Jobs.CountAsync(j => j.Id == jobId));
    }

    [Fact]
    public async Task MigrateAsync_ThreeConcurrentCalls_AllSucceed()
    {
        await using var database = await TestDatabase.CreateAsync();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var calls = Enumerable.Range(0, 3)
            .Select(_ => Task.Run(async () =>
            {
                await start.Task;
                await PersistenceSetup.MigrateAsync(database.ConnectionString, CancellationToken.None);
            }))
            .ToList();

        start.SetResult();
        await Task.WhenAll(calls);

        Assert.Equal(await ReadSchemaAsync(Database.ConnectionString), await ReadSchemaAsync(database.ConnectionString));
        await using var db = CreateDbContext(database.ConnectionString);
        Assert.Equal(db.Database.GetMigrations(), await db.Database.GetAppliedMigrationsAsync());
        var jobId = await CreateJobThroughNewStoreAsync(database.ConnectionString);
        Assert.Equal(1, await db.Jobs.CountAsync(j => j.Id == jobId));
    }

    [Fact]
    public async Task CreateAsync_ValidSpec_QueuedWithOneStateEvent()
    {
        var spec = Specs.Digits(name: "create");

        var created = await Store.CreateAsync(spec, CancellationToken.None);

        var found = await FindAsync(created.Id);
        Assert.Equal(JobState.Queued, found.State);
        Assert.Equal("create", found.Name);
        Assert.Equal(spec, JobMapper.FromJson<JobSpec>(found.SpecJson));
        Assert.Equal(0, found.Attempt);
        Assert.Equal(1, found.LastEventSequence);

        var jobEvent = Assert.Single(await ReadAllEventsAsync(created.Id));
        Assert.Equal(1, jobEvent.Sequence);
        Assert.Equal(created.Id.ToString(), jobEvent.JobId);
        Assert.Equal(EventCase.StateChanged, jobEvent.EventCase);
        Assert.Equal(JobState.Queued, jobEvent.StateChanged.State);
    }

    [Fact]
    public async Task SetQueueJobIdAsync_QueuedJob_StoresId()
    {
        var job = await Store.CreateAsync(Specs.Digits(), CancellationToken.None);

        await Store.SetQueueJobIdAsync(job.Id, "hangfire-42", CancellationToken.None);

        Assert.Equal("hangfire-42", (await FindAsync(job.Id)).QueueJobId);
    }

    [Fact]
    public async Task SucceedAsync_FullLifeCycle_EventsCountUpInOrder()
    {
        var job = await Store.CreateAsync(Specs.Digits(epochs: 2), CancellationToken.None);
        var attempt = await StartAsync(job.Id);
        var firstEpochSteps = Steps(1, 4, epoch: 1);
        var secondEpochSteps = Steps(5, 8, epoch: 2);
        var result = new JobResult { TestLoss = 0.25, TestAccuracy = 0.9, ModelLocation = $"postgresql:models/{job.Id}", ModelSizeBytes = 5, Steps = 8, TrainSeconds = 1.5 };
        byte[] modelState = [1, 2, 3, 4, 5];

        await Store.AppendStepsAsync(job.Id, attempt.Attempt, firstEpochSteps, [firstEpochSteps[0], firstEpochSteps[2]], CancellationToken.None);
        await Store.RecordEpochAsync(job.Id, attempt.Attempt, Epoch(1, step: 4), CancellationToken.None);
        await Store.AppendStepsAsync(job.Id, attempt.Attempt, secondEpochSteps, [secondEpochSteps[0]], CancellationToken.None);
        await Store.RecordEpochAsync(job.Id, attempt.Attempt, Epoch(2, step: 8), CancellationToken.None);
        await Store.SucceedAsync(job.Id, attempt.Attempt, result, modelState, Preprocessing, CancellationToken.None);

        var events = await ReadAllEventsAsync(job.Id);
        Assert.Equal(Sequences(1, 9), events.Select(e => e.Sequence));
        Assert.Equal(
            [EventCase.StateChanged, EventCase.StateChanged, EventCase.Step, EventCase.Step, EventCase.Epoch, EventCase.Step, EventCase.Epoch, EventCase.Result, EventCase.StateChanged],
            events.Select(e => e.EventCase));
        Assert.Equal([JobState.Queued, JobState.Running, JobState.Succeeded], events.Where(e => e.EventCase == EventCase.StateChanged).Select(e => e.StateChanged.State));
        Assert.Equal([firstEpochSteps[0], firstEpochSteps[2], secondEpochSteps[0]], events.Where(e => e.EventCase == EventCase.Step).Select(e => e.Step));
        Assert.Equal([1, 2], events.Where(e => e.EventCase == EventCase.Epoch).Select(e => e.Epoch.Epoch));
        Assert.Equal(result, events[7].Result);

        var stored = await FindAsync(job.Id);
        Assert.Equal(JobState.Succeeded, stored.State);
        Assert.Equal(9, stored.LastEventSequence);
        Assert.NotNull(stored.FinishedAt);
        Assert.Null(stored.FailureReason);
        Assert.Equal(result, JobMapper.FromJson<JobResult>(stored.ResultJson!));
        Assert.Equal(Epoch(2, step: 8), JobMapper.FromJson<EpochMetrics>(stored.LatestMetricsJson!));

        await using var db = Database.CreateDbContext();
        var run = await db.Runs.SingleAsync(r => r.JobId == job.Id);
        Assert.Equal(1, run.Attempt);
        Assert.Equal("SUCCEEDED", run.Outcome);
        Assert.Equal(8, run.Steps);
        Assert.Equal(WorkerName, run.WorkerName);
        Assert.Equal(["dense0", "dense1"], run.LayerNames);
        Assert.NotNull(run.FinishedAt);

        var model = await db.Models.SingleAsync(m => m.JobId == job.Id);
        Assert.Equal(modelState, model.State);
        Assert.Equal(modelState.Length, model.SizeBytes);
        Assert.Equal(Sequences(1, 8), await db.StepMetrics.Where(s => s.JobId == job.Id).OrderBy(s => s.Step).Select(s => s.Step).ToListAsync());
        Assert.Equal([1, 2], await db.EpochMetrics.Where(e => e.JobId == job.Id).OrderBy(e => e.Epoch).Select(e => e.Epoch).ToListAsync());
        Assert.Equal(
            ["StateChanged", "StateChanged", "Step", "Step", "Epoch", "Step", "Epoch", "Result", "StateChanged"],
            await db.JobEvents.Where(e => e.JobId == job.Id).OrderBy(e => e.Sequence).Select(e => e.Kind).ToListAsync());
    }

    [Fact]
    public async Task AppendStepsAsync_ConcurrentWithCancel_SequencesGapless()
    {
        const int Batches = 16;
        const int StepsPerBatch = 5;
        const int Epochs = 4;
        var job = await Store.CreateAsync(Specs.Digits(), CancellationToken.None);
        var attempt = await StartAsync(job.Id);
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var writers = new List<Task>();
        for (var batch = 0; batch < Batches; batch++)
        {
            var steps = Steps(batch * StepsPerBatch + 1, (batch + 1) * StepsPerBatch, epoch: 1);
            writers.Add(RunWhenStartedAsync(start.Task, () => Store.AppendStepsAsync(job.Id, attempt.Attempt, steps, [steps[0]], CancellationToken.None)));
        }

        for (var epoch = 1; epoch <= Epochs; epoch++)
        {
            var metrics = Epoch(epoch, step: epoch * 10);
            writers.Add(RunWhenStartedAsync(start.Task, () => Store.RecordEpochAsync(job.Id, attempt.Attempt, metrics, CancellationToken.None)));
        }

        var cancel = RunWhenStartedAsync(start.Task, () => Store.CancelAsync(job.Id, CancellationToken.None));
        start.SetResult();
        await Task.WhenAll(writers);
        var (outcome, _) = await cancel;

        // Created and started give two events, then each batch one sampled step and each epoch one event.
        const int ExpectedEvents = 2 + Batches + Epochs;
        var events = await ReadAllEventsAsync(job.Id);
        Assert.Equal(Sequences(1, ExpectedEvents), events.Select(e => e.Sequence));
        Assert.Equal(
            Enumerable.Range(0, Batches).Select(batch => (long)batch * StepsPerBatch + 1),
            events.Where(e => e.EventCase == EventCase.Step).Select(e => e.Step.Step).Order());
        Assert.Equal(Enumerable.Range(1, Epochs), events.Where(e => e.EventCase == EventCase.Epoch).Select(e => e.Epoch.Epoch).Order());
        Assert.Equal(CancelOutcome.CancelRequested, outcome);

        var stored = await FindAsync(job.Id);
        Assert.Equal(ExpectedEvents, stored.LastEventSequence);
        Assert.True(stored.CancelRequested, "the concurrent cancel request was lost");

        await using var db = Database.CreateDbContext();
        Assert.Equal(Batches * StepsPerBatch, await db.StepMetrics.CountAsync(s => s.JobId == job.Id));
    }

    [Fact]
    public async Task CancelAsync_QueuedJob_CancelsAtOnce()
    {
        var job = await Store.CreateAsync(Specs.Digits(), CancellationToken.None);

        var (outcome, cancelled) = await Store.CancelAsync(job.Id, CancellationToken.None);

        Assert.Equal(CancelOutcome.Cancelled, outcome);
        Assert.Equal(JobState.Cancelled, cancelled?.State);

        var stored = await FindAsync(job.Id);
        Assert.Equal(JobState.Cancelled, stored.State);
        Assert.NotNull(stored.FinishedAt);
        Assert.Contains("Cancelled by request", stored.FailureReason);

        var events = await ReadAllEventsAsync(job.Id);
        Assert.Equal(Sequences(1, 2), events.Select(e => e.Sequence));
        Assert.Equal(JobState.Cancelled, events[^1].StateChanged.State);
        Assert.Equal(stored.FailureReason, events[^1].StateChanged.Reason);
    }

    [Fact]
    public async Task StartAttemptAsync_CancelledQueuedJob_ReturnsNull()
    {
        var job = await Store.CreateAsync(Specs.Digits(), CancellationToken.None);
        await Store.CancelAsync(job.Id, CancellationToken.None);

        var attempt = await Store.StartAttemptAsync(job.Id, WorkerName, CancellationToken.None);

        Assert.Null(attempt);
        var stored = await FindAsync(job.Id);
        Assert.Equal(JobState.Cancelled, stored.State);
        Assert.Equal(0, stored.Attempt);
        Assert.Equal(2, stored.LastEventSequence);

        await using var db = Database.CreateDbContext();
        Assert.Equal(0, await db.Runs.CountAsync(r => r.JobId == job.Id));
    }

    [Fact]
    public async Task StartAttemptAsync_UnknownJob_ReturnsNull()
    {
        var attempt = await Store.StartAttemptAsync(Guid.NewGuid(), WorkerName, CancellationToken.None);

        Assert.Null(attempt);
    }

    [Fact]
    public async Task CancelAsync_RunningJob_RequestsCancel()
    {
        var job = await Store.CreateAsync(Specs.Digits(), CancellationToken.None);
        await StartAsync(job.Id);
        var requestedBefore = await Store.IsCancelRequestedAsync(job.Id, CancellationToken.None);

        var (outcome, returned) = await Store.CancelAsync(job.Id, CancellationToken.None);

        Assert.Equal(CancelOutcome.CancelRequested, outcome);
        Assert.Equal(JobState.Running, returned?.State);
        Assert.False(requestedBefore);
        Assert.True(await Store.IsCancelRequestedAsync(job.Id, CancellationToken.None));

        var stored = await FindAsync(job.Id);
        Assert.Equal(JobState.Running, stored.State);
        Assert.Null(stored.FinishedAt);
        Assert.Equal(Sequences(1, 2), (await ReadAllEventsAsync(job.Id)).Select(e => e.Sequence));
    }

    [Fact]
    public async Task CancelAsync_FinishedJob_AlreadyFinished()
    {
        var job = await Store.CreateAsync(Specs.Digits(), CancellationToken.None);
        var attempt = await StartAsync(job.Id);
        await Store.EndAsync(job.Id, attempt.Attempt, JobState.Failed, "Training failed: out of memory.", CancellationToken.None);

        var (outcome, returned) = await Store.CancelAsync(job.Id, CancellationToken.None);

        Assert.Equal(CancelOutcome.AlreadyFinished, outcome);
        Assert.Equal(JobState.Failed, returned?.State);

        var stored = await FindAsync(job.Id);
        Assert.Equal(JobState.Failed, stored.State);
        Assert.Equal("Training failed: out of memory.", stored.FailureReason);
        Assert.False(stored.CancelRequested);
        Assert.Equal(Sequences(1, 3), (await ReadAllEventsAsync(job.Id)).Select(e => e.Sequence));
    }

    [Fact]
    public async Task CancelAsync_UnknownJob_NotFound()
    {
        var (outcome, job) = await Store.CancelAsync(Guid.NewGuid(), CancellationToken.None);

        Assert.Equal(CancelOutcome.NotFound, outcome);
        Assert.Null(job);
    }

    [Fact]
    public async Task StartAttemptAsync_SecondAttempt_RejectsWritesOfFirst()
    {
        var job = await Store.CreateAsync(Specs.Digits(), CancellationToken.None);
        var first = await StartAsync(job.Id);
        var second = await StartAsync(job.Id);

        Assert.Equal(1, first.Attempt);
        Assert.Equal(2, second.Attempt);
        await Assert.ThrowsAsync<StaleAttemptException>(() => Store.AppendStepsAsync(job.Id, first.Attempt, Steps(1, 2, epoch: 1), [], CancellationToken.None));
        await Assert.ThrowsAsync<StaleAttemptException>(() => Store.RecordEpochAsync(job.Id, first.Attempt, Epoch(1, step: 2), CancellationToken.None));
        await Assert.ThrowsAsync<StaleAttemptException>(() => Store.SucceedAsync(job.Id, first.Attempt, new JobResult { Steps = 2 }, [1], Preprocessing, CancellationToken.None));
        await Assert.ThrowsAsync<StaleAttemptException>(() => Store.EndAsync(job.Id, first.Attempt, JobState.Failed, "stale", CancellationToken.None));

        var stored = await FindAsync(job.Id);
        Assert.Equal(JobState.Running, stored.State);
        Assert.Equal(2, stored.Attempt);
        Assert.Equal(3, stored.LastEventSequence);
    }

    [Fact]
    public async Task StartAttemptAsync_SecondAttempt_ClearsMetricsOfFirst()
    {
        var job = await Store.CreateAsync(Specs.Digits(), CancellationToken.None);
        var first = await StartAsync(job.Id);
        var steps = Steps(1, 3, epoch: 1);
        await Store.AppendStepsAsync(job.Id, first.Attempt, steps, [steps[0]], CancellationToken.None);
        await Store.RecordEpochAsync(job.Id, first.Attempt, Epoch(1, step: 3), CancellationToken.None);

        var second = await StartAsync(job.Id);

        await using (var db = Database.CreateDbContext())
        {
            Assert.Equal(0, await db.StepMetrics.CountAsync(s => s.JobId == job.Id));
            Assert.Equal(0, await db.EpochMetrics.CountAsync(e => e.JobId == job.Id));
            Assert.Equal([1, 2], await db.Runs.Where(r => r.JobId == job.Id).OrderBy(r => r.Attempt).Select(r => r.Attempt).ToListAsync());
        }

        var stored = await FindAsync(job.Id);
        Assert.Equal(2, stored.Attempt);
        Assert.Null(stored.LatestMetricsJson);

        var restart = (await ReadAllEventsAsync(job.Id))[^1];
        Assert.Equal(JobState.Running, restart.StateChanged.State);
        Assert.Contains("Attempt 2", restart.StateChanged.Reason);

        // The second attempt counts steps and epochs from 1 again, which only works if the old rows are gone.
        await Store.AppendStepsAsync(job.Id, second.Attempt, steps, [], CancellationToken.None);
        await Store.RecordEpochAsync(job.Id, second.Attempt, Epoch(1, step: 3), CancellationToken.None);
    }

    [Fact]
    public async Task AppendStepsAsync_AfterJobEnded_ThrowsStaleAttempt()
    {
        var job = await Store.CreateAsync(Specs.Digits(), CancellationToken.None);
        var attempt = await StartAsync(job.Id);
        await Store.EndAsync(job.Id, attempt.Attempt, JobState.Cancelled, "Cancelled by request after step 0.", CancellationToken.None);

        await Assert.ThrowsAsync<StaleAttemptException>(() => Store.AppendStepsAsync(job.Id, attempt.Attempt, Steps(1, 1, epoch: 1), [], CancellationToken.None));
    }

    [Fact]
    public async Task StartAttemptAsync_FinishedJob_ReturnsNull()
    {
        var job = await Store.CreateAsync(Specs.Digits(), CancellationToken.None);
        var attempt = await StartAsync(job.Id);
        await Store.EndAsync(job.Id, attempt.Attempt, JobState.Failed, "Training failed: disk full.", CancellationToken.None);

        var next = await Store.StartAttemptAsync(job.Id, WorkerName, CancellationToken.None);

        Assert.Null(next);
        Assert.Equal(1, (await FindAsync(job.Id)).Attempt);
    }

    [Theory]
    [InlineData(JobState.Unspecified)]
    [InlineData(JobState.Queued)]
    [InlineData(JobState.Running)]
    [InlineData(JobState.Succeeded)]
    public async Task EndAsync_NotFailedOrCancelled_ThrowsOutOfRange(JobState state)
    {
        var job = await Store.CreateAsync(Specs.Digits(), CancellationToken.None);
        var attempt = await StartAsync(job.Id);

        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Store.EndAsync(job.Id, attempt.Attempt, state, "reason", CancellationToken.None));

        Assert.Equal("state", error.ParamName);
        Assert.Equal(JobState.Running, (await FindAsync(job.Id)).State);
    }

    [Fact]
    public async Task EndAsync_Failed_RecordsReason()
    {
        var job = await Store.CreateAsync(Specs.Digits(), CancellationToken.None);
        var attempt = await StartAsync(job.Id);

        await Store.EndAsync(job.Id, attempt.Attempt, JobState.Failed, "Training diverged at step 3.", CancellationToken.None);

        var stored = await FindAsync(job.Id);
        Assert.Equal(JobState.Failed, stored.State);
        Assert.Equal("Training diverged at step 3.", stored.FailureReason);
        Assert.NotNull(stored.FinishedAt);

        var end = (await ReadAllEventsAsync(job.Id))[^1];
        Assert.Equal(3, end.Sequence);
        Assert.Equal(JobState.Failed, end.StateChanged.State);
        Assert.Equal("Training diverged at step 3.", end.StateChanged.Reason);

        await using var db = Database.CreateDbContext();
        var run = await db.Runs.SingleAsync(r => r.JobId == job.Id);
        Assert.Equal("FAILED", run.Outcome);
        Assert.NotNull(run.FinishedAt);
    }

    [Fact]
    public async Task FailUnqueuedAsync_QueuedJob_MarksFailed()
    {
        var job = await Store.CreateAsync(Specs.Digits(), CancellationToken.None);

        await Store.FailUnqueuedAsync(job.Id, "The queue rejected the job.", CancellationToken.None);

        var stored = await FindAsync(job.Id);
        Assert.Equal(JobState.Failed, stored.State);
        Assert.Equal("The queue rejected the job.", stored.FailureReason);
        Assert.NotNull(stored.FinishedAt);

        var end = (await ReadAllEventsAsync(job.Id))[^1];
        Assert.Equal(2, end.Sequence);
        Assert.Equal(JobState.Failed, end.StateChanged.State);
        Assert.Equal("The queue rejected the job.", end.StateChanged.Reason);
    }

    [Fact]
    public async Task FailUnqueuedAsync_RunningJob_LeavesItRunning()
    {
        var job = await Store.CreateAsync(Specs.Digits(), CancellationToken.None);
        await StartAsync(job.Id);

        await Store.FailUnqueuedAsync(job.Id, "The queue rejected the job.", CancellationToken.None);

        var stored = await FindAsync(job.Id);
        Assert.Equal(JobState.Running, stored.State);
        Assert.Null(stored.FailureReason);
        Assert.Null(stored.FinishedAt);
        Assert.Equal(2, stored.LastEventSequence);
    }

    [Fact]
    public async Task ListAsync_NoFilter_ReturnsNewestFirst()
    {
        await using var database = await StoreDatabase.CreateAsync();
        var ids = await CreateJobsAsync(database.Store, 4);

        var listed = await database.Store.ListAsync(null, null, null, 10, CancellationToken.None);

        Assert.Equal(Enumerable.Reverse(ids), listed.Select(j => j.Id));
    }

    [Fact]
    public async Task ListAsync_StateFilter_ReturnsMatchingJobs()
    {
        await using var database = await StoreDatabase.CreateAsync();
        var ids = await CreateJobsAsync(database.Store, 5);
        await database.Store.CancelAsync(ids[0], CancellationToken.None);
        await database.Store.CancelAsync(ids[3], CancellationToken.None);
        await database.Store.StartAttemptAsync(ids[2], WorkerName, CancellationToken.None);

        var cancelled = await database.Store.ListAsync(JobState.Cancelled, null, null, 10, CancellationToken.None);
        var queued = await database.Store.ListAsync(JobState.Queued, null, null, 10, CancellationToken.None);
        var running = await database.Store.ListAsync(JobState.Running, null, null, 10, CancellationToken.None);
        var failed = await database.Store.ListAsync(JobState.Failed, null, null, 10, CancellationToken.None);

        Assert.Equal([ids[3], ids[0]], cancelled.Select(j => j.Id));
        Assert.Equal([ids[4], ids[1]], queued.Select(j => j.Id));
        Assert.Equal([ids[2]], running.Select(j => j.Id));
        Assert.Empty(failed);
    }

    [Fact]
    public async Task ListAsync_AfterLastOfPage_PagesEachJobOnce()
    {
        await using var database = await StoreDatabase.CreateAsync();
        var ids = await CreateJobsAsync(database.Store, 5);

        var first = await database.Store.ListAsync(null, null, null, 2, CancellationToken.None);
        var second = await database.Store.ListAsync(null, null, (first[^1].CreatedAt, first[^1].Id), 2, CancellationToken.None);
        var newcomer = await database.Store.CreateAsync(Specs.Digits(name: "newcomer"), CancellationToken.None);
        var last = await database.Store.ListAsync(null, null, (second[^1].CreatedAt, second[^1].Id), 2, CancellationToken.None);
        var beyond = await database.Store.ListAsync(null, null, (last[^1].CreatedAt, last[^1].Id), 2, CancellationToken.None);

        Assert.Equal([ids[4], ids[3]], first.Select(j => j.Id));
        Assert.Equal([ids[2], ids[1]], second.Select(j => j.Id));
        Assert.Equal([ids[0]], last.Select(j => j.Id));
        Assert.Empty(beyond);
        Assert.DoesNotContain(newcomer.Id, last.Select(j => j.Id));
    }

    [Fact]
    public async Task ReadEventsAsync_AfterSequence_ReturnsLaterEvents()
    {
        var jobId = await CreateJobWithEventsAsync();

        var tail = await Store.ReadEventsAsync(jobId, 3, 100, CancellationToken.None);
        var beyond = await Store.ReadEventsAsync(jobId, 6, 100, CancellationToken.None);

        Assert.Equal(Sequences(4, 6), tail.Select(e => e.Sequence));
        Assert.Equal([EventCase.Step, EventCase.Epoch, EventCase.StateChanged], tail.Select(e => e.EventCase));
        Assert.Empty(beyond);
    }

    [Fact]
    public async Task ReadEventsAsync_WithLimit_StopsAtLimit()
    {
        var jobId = await CreateJobWithEventsAsync();

        var page = await Store.ReadEventsAsync(jobId, 1, 2, CancellationToken.None);

        Assert.Equal(Sequences(2, 3), page.Select(e => e.Sequence));
    }

    [Fact]
    public async Task ReadEventsAsync_TwoJobs_ReturnsOwnEventsOnly()
    {
        var jobId = await CreateJobWithEventsAsync();
        await CreateJobWithEventsAsync();

        var events = await ReadAllEventsAsync(jobId);

        Assert.Equal(Sequences(1, 6), events.Select(e => e.Sequence));
        Assert.All(events, e => Assert.Equal(jobId.ToString(), e.JobId));
    }

    private async Task<JobRecord> FindAsync(Guid jobId)
    {
        var job = await Store.FindAsync(jobId, CancellationToken.None);
        Assert.NotNull(job);
        return job;
    }

    private async Task<AttemptStart> StartAsync(Guid jobId)
    {
        var attempt = await Store.StartAttemptAsync(jobId, WorkerName, CancellationToken.None);
        Assert.NotNull(attempt);
        return attempt;
    }

    private Task<IReadOnlyList<JobEvent>> ReadAllEventsAsync(Guid jobId) =>
        Store.ReadEventsAsync(jobId, 0, int.MaxValue, CancellationToken.None);

    /// <summary>Creates a job with six events: queued, running, two sampled steps, an epoch and failed.</summary>
    private async Task<Guid> CreateJobWithEventsAsync()
    {
        var job = await Store.CreateAsync(Specs.Digits(), CancellationToken.None);
        var attempt = await StartAsync(job.Id);
        var steps = Steps(1, 4, epoch: 1);

        await Store.AppendStepsAsync(job.Id, attempt.Attempt, steps, [steps[0], steps[3]], CancellationToken.None);
        await Store.RecordEpochAsync(job.Id, attempt.Attempt, Epoch(1, step: 4), CancellationToken.None);
        await Store.EndAsync(job.Id, attempt.Attempt, JobState.Failed, "Training failed: test.", CancellationToken.None);
        return job.Id;
    }

    /// <summary>Creates jobs one after another, so their creation times increase, and returns their ids oldest first.</summary>
    private static async Task<List<Guid>> CreateJobsAsync(JobStore store, int count)
    {
        var ids = new List<Guid>();
        for (var i = 0; i < count; i++)
        {
            ids.Add((await store.CreateAsync(Specs.Digits(name: $"list-{i}"), CancellationToken.None)).Id);
        }

        return ids;
    }

    private static async Task<Guid> CreateJobThroughNewStoreAsync(string connectionString)
    {
        await using var services = new ServiceCollection().AddTrainingPersistence(connectionString).BuildServiceProvider();
        var store = services.GetRequiredService<JobStore>();
        return (await store.CreateAsync(Specs.Digits(), CancellationToken.None)).Id;
    }

    private static TrainingDbContext CreateDbContext(string connectionString)
    {
        var options = new DbContextOptionsBuilder<TrainingDbContext>();
        PersistenceSetup.Configure(options, connectionString);
        return new TrainingDbContext(options.Options);
    }

    /// <summary>Lists every column with its type and every index in the public schema, sorted.</summary>
    private static async Task<List<string>> ReadSchemaAsync(string connectionString)
    {
        const string Query = """
            SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable
            FROM information_schema.columns WHERE table_schema = 'public'
            UNION ALL
            SELECT 'index ' || indexname || ': ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
            ORDER BY 1
            """;

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(Query, connection);
        await using var reader = await command.ExecuteReaderAsync();

        var schema = new List<string>();
        while (await reader.ReadAsync())
        {
            schema.Add(reader.GetString(0));
        }

        return schema;
    }

    private static async Task<T> RunWhenStartedAsync<T>(Task start, Func<Task<T>> write)
    {
        await start;
        return await Task.Run(write);
    }

    private static async Task RunWhenStartedAsync(Task start, Func<Task> write)
    {
        await start;
        await Task.Run(write);
    }

    private static List<long> Sequences(long first, long last) =>
        [.. Enumerable.Range((int)first, (int)(last - first + 1)).Select(i => (long)i)];

    private static List<StepMetrics> Steps(long first, long last, int epoch)
    {
        var steps = new List<StepMetrics>();
        for (var step = first; step <= last; step++)
        {
            steps.Add(new StepMetrics
            {
                Step = step,
                Epoch = epoch,
                Loss = 2.0 / step,
                GradientNorm = 0.5,
                LearningRate = 1e-2,
                LayerGradientNorms =
                {
                    new LayerGradientNorm { Layer = "dense0", Norm = 0.4 },
                    new LayerGradientNorm { Layer = "dense1", Norm = 0.3 },
                },
            });
        }

        return steps;
    }

    private static EpochMetrics Epoch(int epoch, long step) => new()
    {
        Epoch = epoch,
        Step = step,
        TrainLoss = 1.0 / epoch,
        ValidationLoss = 1.1 / epoch,
        ValidationAccuracy = 0.8,
        GradientNorm = 0.5,
        LayerGradientNorms =
        {
            new LayerGradientNorm { Layer = "dense0", Norm = 0.4 },
            new LayerGradientNorm { Layer = "dense1", Norm = 0.3 },
        },
        SamplesPerSecond = 1000,
        EpochSeconds = 0.2,
        LearningRate = 1e-2,
    };
}
