using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Training.V1;
using TrainingService.IntegrationTests.Infrastructure;

namespace TrainingService.IntegrationTests;

/// <summary>The service on a PostgreSQL server of its own, which the tests stop and start again.</summary>
public sealed class OutageServiceFixture : ServiceFixture
{
    public PrivatePostgres Postgres { get; private set; } = null!;

    protected override string? ServerConnectionString => Postgres.ServerConnectionString;

    public override async Task InitializeAsync()
    {
        Postgres = await PrivatePostgres.StartAsync();
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Postgres.DisposeAsync();
    }
}

public class OutageTests(OutageServiceFixture service) : IClassFixture<OutageServiceFixture>
{
    [Fact]
    public async Task DatabaseOutage_JobTrainsOnLosesNoStepApiAnswersUnavailable()
    {
        var submitted = await service.SubmitAsync(Spec());
        await service.WaitForAsync(submitted.Id, job => job.LatestMetrics?.Epoch >= 1, "its first epoch");

        await service.Postgres.StopAsync();
        var duringOutage = await Assert.ThrowsAsync<RpcException>(async () =>
            await service.Client.ListJobsAsync(new ListJobsRequest(), deadline: DateTime.UtcNow.AddSeconds(30)));
        await Task.Delay(TimeSpan.FromSeconds(4));
        await service.Postgres.StartAgainAsync();
        var events = await WatchAfterOutageAsync(submitted.Id);

        Assert.Equal(StatusCode.Unavailable, duringOutage.StatusCode);
        Assert.True(events[^1].StateChanged?.State == JobState.Succeeded, $"ended {events[^1]}\n{service.Diagnostics()}");
        Assert.False(service.Workers[0].HasExited);
        var result = events.Single(e => e.EventCase == JobEvent.EventOneofCase.Result).Result;
        await using var db = service.CreateDbContext();
        var steps = await db.StepMetrics.Where(s => s.JobId == Guid.Parse(submitted.Id)).OrderBy(s => s.Step).Select(s => s.Step).ToListAsync();
        var epochs = await db.EpochMetrics.Where(e => e.JobId == Guid.Parse(submitted.Id)).Select(e => e.Epoch).ToListAsync();
        Assert.Equal(Enumerable.Range(1, (int)result.Steps).Select(i => (long)i), steps);
        Assert.Equal(4, epochs.Count);
        Assert.Contains("retried", service.Workers[0].Output);
    }

    /// <summary>Watches to the end, retrying while the API still reports the database unavailable.</summary>
    private async Task<List<JobEvent>> WatchAfterOutageAsync(string jobId)
    {
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (true)
        {
            try
            {
                return await service.WatchToEndAsync(jobId);
            }
            catch (RpcException error) when (error.StatusCode == StatusCode.Unavailable && DateTime.UtcNow < deadline)
            {
                await Task.Delay(500);
            }
        }
    }

    // About 4 epochs of 440 steps: the outage falls in the middle of the run.
    private static JobSpec Spec() => new()
    {
        Name = "outage",
        Dataset = new DatasetSpec { Name = "mnist10k", ValidationFraction = 0.1, TestFraction = 0.2 },
        Network = new NetworkSpec
        {
            Layers =
            {
                new LayerSpec { Dense = new DenseLayer { Units = 128, Activation = Activation.Relu } },
                new LayerSpec { Dense = new DenseLayer { Units = 10 } },
            },
        },
        Optimizer = new OptimizerSpec { LearningRate = 1e-3, Adam = new AdamOptions() },
        Training = new TrainingSettings { Epochs = 4, BatchSize = 16, Seed = 5 },
    };
}
