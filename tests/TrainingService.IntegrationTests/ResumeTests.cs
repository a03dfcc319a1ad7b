using Microsoft.EntityFrameworkCore;
using Training.V1;
using TrainingService.IntegrationTests.Infrastructure;
using TrainingService.Persistence;

namespace TrainingService.IntegrationTests;

/// <summary>Workers that checkpoint often and hand a dead worker's job on after 5 s, so resumes happen within a test.</summary>
public sealed class ResumeServiceFixture : ServiceFixture
{
    protected override IReadOnlyDictionary<string, string> WorkerSettings { get; } = new Dictionary<string, string>
    {
        ["Worker__CheckpointEverySteps"] = "100",
        ["Queue__InvisibilityTimeout"] = "00:00:05",
    };
}

[CollectionDefinition(Name)]
public sealed class ResumeTestGroup : ICollectionFixture<ResumeServiceFixture>
{
    public const string Name = "resume";
}

[Collection(ResumeTestGroup.Name)]
public class ResumeTests(ResumeServiceFixture service)
{
    [Fact]
    public async Task KilledWorker_AnotherResumesFromCheckpoint_SameResultAsUninterrupted()
    {
        var interrupted = await service.SubmitAsync(MnistSpec("interrupted"));
        await service.WaitForAsync(interrupted.Id, job => job.LatestMetrics?.Epoch >= 1, "its first epoch");

        service.Workers[^1].Kill();
        service.StartWorker();
        var events = await service.WatchToEndAsync(interrupted.Id);
        var uninterrupted = await service.SubmitAsync(MnistSpec("uninterrupted"));
        await service.WatchToEndAsync(uninterrupted.Id);

        var resumed = events.Last(e => e.StateChanged?.State == JobState.Running).StateChanged;
        Assert.True(events[^1].StateChanged.State == JobState.Succeeded, $"ended {events[^1]}\n{service.Diagnostics()}");
        Assert.Contains("resuming from the checkpoint at step", resumed.Reason);
        Assert.Equal(2, (await service.Client.GetJobAsync(new GetJobRequest { JobId = interrupted.Id })).Attempt);
        await AssertSameRunAsync(Guid.Parse(uninterrupted.Id), Guid.Parse(interrupted.Id));
    }

    [Fact]
    public async Task GracefulShutdown_RequeuesJob_ResumesFromShutdownCheckpoint()
    {
        var interrupted = await service.SubmitAsync(MnistSpec("shutdown"));
        var running = await service.WaitForAsync(interrupted.Id, job => job.LatestMetrics?.Epoch >= 1, "its first epoch");

        await service.Workers[^1].TerminateAsync(TimeSpan.FromSeconds(40));
        var (checkpointStep, lastStoredStep) = await ReadCheckpointAsync(Guid.Parse(interrupted.Id));
        service.StartWorker();
        var events = await service.WatchToEndAsync(interrupted.Id);
        var uninterrupted = await service.SubmitAsync(MnistSpec("no-shutdown"));
        await service.WatchToEndAsync(uninterrupted.Id);

        var resumed = events.Last(e => e.StateChanged?.State == JobState.Running).StateChanged.Reason;
        var resumedStep = long.Parse(resumed.Split("step ")[1].Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(events[^1].StateChanged.State == JobState.Succeeded, $"ended {events[^1]}\n{service.Diagnostics()}");
        Assert.Equal(lastStoredStep, checkpointStep);
        Assert.Equal(checkpointStep, resumedStep);
        Assert.True(resumedStep > running.LatestMetrics.Step, $"resumed at step {resumedStep}, the first epoch ended at {running.LatestMetrics.Step}");
        await AssertSameRunAsync(Guid.Parse(uninterrupted.Id), Guid.Parse(interrupted.Id));
    }

    private async Task<(long CheckpointStep, long LastStoredStep)> ReadCheckpointAsync(Guid jobId)
    {
        await using var db = service.CreateDbContext();
        var checkpoint = await db.Checkpoints.SingleAsync(c => c.JobId == jobId);
        var lastStep = await db.StepMetrics.Where(s => s.JobId == jobId).MaxAsync(s => s.Step);
        return (checkpoint.Step, lastStep);
    }

    /// <summary>Compares two runs of the same spec: model bytes, every step row and every epoch row but its timings.</summary>
    private async Task AssertSameRunAsync(Guid expectedJob, Guid actualJob)
    {
        await using var db = service.CreateDbContext();

        var expectedModel = await db.Models.SingleAsync(m => m.JobId == expectedJob);
        var actualModel = await db.Models.SingleAsync(m => m.JobId == actualJob);
        Assert.Equal(expectedModel.State, actualModel.State);

        var expectedSteps = await db.StepMetrics.Where(s => s.JobId == expectedJob).OrderBy(s => s.Step).ToListAsync();
        var actualSteps = await db.StepMetrics.Where(s => s.JobId == actualJob).OrderBy(s => s.Step).ToListAsync();
        Assert.Equal(Enumerable.Range(1, expectedSteps.Count).Select(i => (long)i), actualSteps.Select(s => s.Step));
        Assert.Equal(expectedSteps.Select(s => (s.Epoch, s.Loss, s.GradientNorm)), actualSteps.Select(s => (s.Epoch, s.Loss, s.GradientNorm)));
        Assert.Equal(expectedSteps.SelectMany(s => s.LayerGradientNorms), actualSteps.SelectMany(s => s.LayerGradientNorms));

        var expectedEpochs = await db.EpochMetrics.Where(e => e.JobId == expectedJob).OrderBy(e => e.Epoch).ToListAsync();
        var actualEpochs = await db.EpochMetrics.Where(e => e.JobId == actualJob).OrderBy(e => e.Epoch).ToListAsync();
        Assert.Equal(
            expectedEpochs.Select(e => (e.Epoch, e.Step, e.TrainLoss, e.TrainAccuracy, e.ValidationLoss, e.ValidationAccuracy, e.GradientNorm)),
            actualEpochs.Select(e => (e.Epoch, e.Step, e.TrainLoss, e.TrainAccuracy, e.ValidationLoss, e.ValidationAccuracy, e.GradientNorm)));
    }

    // About 440 steps an epoch, long enough to stop a worker in the middle of the second.
    private static JobSpec MnistSpec(string name) => new()
    {
        Name = name,
        Dataset = new DatasetSpec { Name = "mnist10k", ValidationFraction = 0.1, TestFraction = 0.2 },
        Network = new NetworkSpec
        {
            Layers =
            {
                new LayerSpec { Dense = new DenseLayer { Units = 128, Activation = Activation.Relu, Dropout = 0.2 } },
                new LayerSpec { Dense = new DenseLayer { Units = 10 } },
            },
        },
        Optimizer = new OptimizerSpec { LearningRate = 1e-3, Adamw = new AdamWOptions() },
        Regularization = new RegularizationSpec { WeightDecay = 1e-2 },
        Training = new TrainingSettings { Epochs = 3, BatchSize = 16, Seed = 3 },
    };
}
