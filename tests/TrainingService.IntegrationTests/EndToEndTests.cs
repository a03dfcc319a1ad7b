using Google.Rpc;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Training.V1;
using TrainingService.Core.Datasets;
using TrainingService.Core.Specs;
using TrainingService.Core.Training;
using TrainingService.IntegrationTests.Infrastructure;
using TrainingService.Persistence;

namespace TrainingService.IntegrationTests;

[Collection(ServiceTestGroup.Name)]
public class EndToEndTests(ServiceFixture service)
{
    [Fact]
    public async Task SubmitJob_SmallJob_SucceedsWithRunMetricsAndModelStored()
    {
        var spec = Specs.Digits(epochs: 3);

        var submitted = await service.SubmitAsync(spec);
        var events = await service.WatchToEndAsync(submitted.Id);

        Assert.Equal(JobState.Queued, submitted.State);
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Sequence));
        Assert.Equal([JobState.Queued, JobState.Running, JobState.Succeeded],
            events.Where(e => e.EventCase == JobEvent.EventOneofCase.StateChanged).Select(e => e.StateChanged.State));
        Assert.Equal([1, 2, 3], events.Where(e => e.EventCase == JobEvent.EventOneofCase.Epoch).Select(e => e.Epoch.Epoch));
        var result = Assert.Single(events, e => e.EventCase == JobEvent.EventOneofCase.Result).Result;
        Assert.True(result.TestAccuracy > 0.85, $"test accuracy {result.TestAccuracy}");

        var job = await service.Client.GetJobAsync(new GetJobRequest { JobId = submitted.Id });
        Assert.Equal(JobState.Succeeded, job.State);
        Assert.Equal(1, job.Attempt);
        Assert.Equal(3, job.LatestMetrics.Epoch);
        Assert.Equal(result.TestAccuracy, job.Result.TestAccuracy);

        await AssertStoredAsync(Guid.Parse(submitted.Id), spec, result);
    }

    [Fact]
    public async Task SubmitJob_InvalidSpec_FieldViolationsNameEachPath()
    {
        var spec = Specs.Digits();
        spec.Optimizer.LearningRate = -0.1;
        spec.Network.Layers[1].Dense.Units = 3;
        spec.Training.BatchSize = 0;

        var error = await Assert.ThrowsAsync<RpcException>(() => service.SubmitAsync(spec));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var badRequest = error.GetRpcStatus()?.GetDetail<BadRequest>();
        Assert.NotNull(badRequest);
        var fields = badRequest.FieldViolations.Select(v => v.Field).ToList();
        Assert.Contains("spec.optimizer.learning_rate", fields);
        Assert.Contains("spec.network.layers[1].dense.units", fields);
        Assert.Contains("spec.training.batch_size", fields);
        Assert.Equal(3, fields.Count);
    }

    [Fact]
    public async Task SubmitJob_MissingSpec_FieldViolationForSpec()
    {
        var error = await Assert.ThrowsAsync<RpcException>(async () => await service.Client.SubmitJobAsync(new SubmitJobRequest()));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("spec", Assert.Single(error.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations).Field);
    }

    [Fact]
    public async Task WatchJob_AfterJobEnded_ReplaysHistoryFromSequence()
    {
        var submitted = await service.SubmitAsync(Specs.Digits(epochs: 1));
        var live = await service.WatchToEndAsync(submitted.Id);

        var replay = await service.WatchToEndAsync(submitted.Id);
        var tail = await service.WatchToEndAsync(submitted.Id, afterSequence: live.Count - 2);
        var beyond = await service.WatchToEndAsync(submitted.Id, afterSequence: live.Count);

        Assert.Equal(live, replay);
        Assert.Equal(live.TakeLast(2), tail);
        Assert.Empty(beyond);
    }

    [Fact]
    public async Task SubmitJob_HugeLearningRate_FailsAsDivergedAndWorkerLivesOn()
    {
        var diverging = Specs.LineFit(new OptimizerSpec { LearningRate = 1e3, Sgd = new SgdOptions() });

        var failed = await service.SubmitAsync(diverging);
        var failedEvents = await service.WatchToEndAsync(failed.Id);
        var next = await service.SubmitAsync(Specs.Digits(epochs: 1));
        var nextEvents = await service.WatchToEndAsync(next.Id);

        var end = failedEvents[^1].StateChanged;
        Assert.True(end.State == JobState.Failed, $"ended {end.State}: {end.Reason}");
        Assert.Contains("diverged at step", end.Reason);
        Assert.Contains("learning rate", end.Reason);
        var job = await service.Client.GetJobAsync(new GetJobRequest { JobId = failed.Id });
        Assert.Equal(end.Reason, job.FailureReason);
        Assert.Equal(JobState.Succeeded, nextEvents[^1].StateChanged.State);
    }

    [Fact]
    public async Task CancelJob_RunningJob_EndsCancelled()
    {
        var spec = Specs.Digits(epochs: 1000, name: "long");
        spec.Training.BatchSize = 1;
        var submitted = await service.SubmitAsync(spec);
        await WaitForStateAsync(submitted.Id, JobState.Running);

        var cancelling = await service.Client.CancelJobAsync(new CancelJobRequest { JobId = submitted.Id });
        var events = await service.WatchToEndAsync(submitted.Id, timeout: TimeSpan.FromSeconds(60));

        Assert.Equal(JobState.Running, cancelling.State);
        Assert.Equal(JobState.Cancelled, events[^1].StateChanged.State);
        Assert.Contains("Cancelled by request", events[^1].StateChanged.Reason);
    }

    [Fact]
    public async Task CancelJob_FinishedJob_FailedPrecondition()
    {
        var submitted = await service.SubmitAsync(Specs.Digits(epochs: 1));
        await service.WatchToEndAsync(submitted.Id);

        var error = await Assert.ThrowsAsync<RpcException>(async () => await service.Client.CancelJobAsync(new CancelJobRequest { JobId = submitted.Id }));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("SUCCEEDED", error.Status.Detail);
    }

    [Fact]
    public async Task GetJob_UnknownOrMalformedId_NotFoundOrInvalid()
    {
        var unknown = await Assert.ThrowsAsync<RpcException>(async () => await service.Client.GetJobAsync(new GetJobRequest { JobId = Guid.NewGuid().ToString() }));
        var malformed = await Assert.ThrowsAsync<RpcException>(async () => await service.Client.GetJobAsync(new GetJobRequest { JobId = "not-a-job" }));

        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, malformed.StatusCode);
        Assert.Equal("job_id", malformed.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations[0].Field);
    }

    [Fact]
    public async Task ListJobs_Paged_ReturnsEveryJobOnceNewestFirst()
    {
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var spec = Specs.Digits(epochs: 1, name: $"list-{i}");
            ids.Add((await service.SubmitAsync(spec)).Id);
        }

        var listed = new List<Job>();
        var token = "";
        do
        {
            var page = await service.Client.ListJobsAsync(new ListJobsRequest { PageSize = 2, PageToken = token });
            Assert.True(page.Jobs.Count <= 2);
            listed.AddRange(page.Jobs);
            token = page.NextPageToken;
        }
        while (token != "");

        var ours = listed.Where(j => ids.Contains(j.Id)).Select(j => j.Id).ToList();
        Assert.Equal(Enumerable.Reverse(ids), ours);
        Assert.Equal(listed.Count, listed.Select(j => j.Id).Distinct().Count());
        Assert.True(listed.Zip(listed.Skip(1)).All(pair => pair.First.CreatedAt.ToDateTime() >= pair.Second.CreatedAt.ToDateTime()));

        foreach (var id in ids)
        {
            await service.WatchToEndAsync(id);
        }
    }

    private async Task WaitForStateAsync(string jobId, JobState state)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var job = await service.Client.GetJobAsync(new GetJobRequest { JobId = jobId });
            if (job.State == state)
            {
                return;
            }

            await Task.Delay(100);
        }

        Assert.Fail($"Job {jobId} did not reach {state}.\n{service.Diagnostics()}");
    }

    /// <summary>Checks the run, its metric rows and the model in PostgreSQL, and that the model reproduces the test accuracy.</summary>
    private async Task AssertStoredAsync(Guid jobId, JobSpec spec, JobResult result)
    {
        await using var db = service.CreateDbContext();

        var run = await db.Runs.SingleAsync(r => r.JobId == jobId);
        Assert.Equal("SUCCEEDED", run.Outcome);
        Assert.Equal(["dense0", "dense1"], run.LayerNames);
        Assert.Equal(result.Steps, run.Steps);

        var steps = await db.StepMetrics.Where(s => s.JobId == jobId).OrderBy(s => s.Step).ToListAsync();
        Assert.Equal(Enumerable.Range(1, (int)result.Steps).Select(i => (long)i), steps.Select(s => s.Step));
        Assert.All(steps, s => Assert.Equal(2, s.LayerGradientNorms.Length));
        Assert.All(steps, s => Assert.True(double.IsFinite(s.Loss) && s.GradientNorm > 0));

        var epochs = await db.EpochMetrics.Where(e => e.JobId == jobId).OrderBy(e => e.Epoch).ToListAsync();
        Assert.Equal([1, 2, 3], epochs.Select(e => e.Epoch));

        var model = await db.Models.SingleAsync(m => m.JobId == jobId);
        Assert.Equal(result.ModelSizeBytes, model.State.Length);
        Assert.Equal($"postgresql:models/{jobId}", result.ModelLocation);
        Assert.Equal(result.TestAccuracy, EvaluateStoredModel(spec, model.State), 6);
    }

    private static double EvaluateStoredModel(JobSpec spec, byte[] state)
    {
        var test = PreparedData.Prepare(spec).Splits.Test;
        var (outputs, width) = Predictor.PredictPreprocessed(spec, state, test.Features);
        var correct = 0;

        for (var row = 0; row < test.Count; row++)
        {
            var scores = outputs.AsSpan(row * width, width).ToArray();
            correct += Array.IndexOf(scores, scores.Max()) == test.Labels![row] ? 1 : 0;
        }

        return correct / (double)test.Count;
    }
}
