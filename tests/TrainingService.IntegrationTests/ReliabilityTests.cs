using Google.Rpc;
using Grpc.Core;
using Training.V1;
using Microsoft.Extensions.DependencyInjection;
using TrainingService.IntegrationTests.Infrastructure;
using TrainingService.Persistence;
using TrainingService.Persistence.Entities;

namespace TrainingService.IntegrationTests;

[Collection(ServiceTestGroup.Name)]
public class ReliabilityTests(ServiceFixture service)
{
    [Fact]
    public async Task Timeout_LongJob_FailsNamingTheLimit()
    {
        var spec = Specs.Digits(epochs: 1000, name: "timeout");
        spec.Training.BatchSize = 1;
        spec.Training.TimeoutSeconds = 2;

        var job = await service.SubmitAsync(spec);
        var events = await service.WatchToEndAsync(job.Id);

        var end = events[^1].StateChanged;
        Assert.Equal(JobState.Failed, end.State);
        Assert.Contains("training.timeout_seconds", end.Reason);
        Assert.Contains("limit of 2 s", end.Reason);
    }

    [Fact]
    public async Task CancelJob_QueuedBehindRunningJob_CancelledWithoutStarting()
    {
        var blocker = Specs.Digits(epochs: 1000, name: "blocker");
        blocker.Training.BatchSize = 1;
        var running = await service.SubmitAsync(blocker);
        await service.WaitForAsync(running.Id, job => job.State == JobState.Running, "RUNNING");
        var queued = await service.SubmitAsync(Specs.Digits(epochs: 1, name: "queued"));

        var cancelled = await service.Client.CancelJobAsync(new CancelJobRequest { JobId = queued.Id });
        await service.Client.CancelJobAsync(new CancelJobRequest { JobId = running.Id });
        await service.WatchToEndAsync(running.Id);
        var again = await service.Client.GetJobAsync(new GetJobRequest { JobId = queued.Id });

        Assert.Equal(JobState.Cancelled, cancelled.State);
        Assert.Equal(JobState.Cancelled, again.State);
        Assert.Equal(0, again.Attempt);
    }

    [Fact]
    public async Task StoredJobNeverQueued_SweeperEnqueuesIt()
    {
        // A job stored without being handed to Hangfire, as when the API stops between the two.
        var services = new ServiceCollection().AddTrainingPersistence(service.ConnectionString).BuildServiceProvider();
        var store = services.GetRequiredService<JobStore>();
        var orphan = await store.CreateAsync(Specs.Digits(epochs: 1, name: "orphan"), CancellationToken.None);

        var deadline = DateTime.UtcNow.AddMinutes(2);
        JobRecord? job;
        do
        {
            await Task.Delay(250);
            job = await store.FindAsync(orphan.Id, CancellationToken.None);
        }
        while (job!.State != JobState.Succeeded && DateTime.UtcNow < deadline);

        Assert.Equal(JobState.Succeeded, job.State);
        Assert.NotNull(job.QueueJobId);
        Assert.Contains($"Job {orphan.Id}", service.Api.Output);
        await services.DisposeAsync();
    }

    [Fact]
    public async Task SubmitJob_OverParameterLimit_FieldViolation()
    {
        var spec = Specs.Digits(epochs: 1, name: "huge");
        spec.Network.Layers.Insert(0, new LayerSpec { Dense = new DenseLayer { Units = 65_536, Activation = Activation.Relu } });
        spec.Network.Layers.Insert(1, new LayerSpec { Dense = new DenseLayer { Units = 65_536, Activation = Activation.Relu } });

        var error = await Assert.ThrowsAsync<RpcException>(() => service.SubmitAsync(spec));

        var violation = Assert.Single(error.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations);
        Assert.Equal("spec.network.layers", violation.Field);
        Assert.Contains("parameters; the limit is", violation.Description);
    }

    [Fact]
    public async Task SubmitJob_OverExampleBudget_FieldViolationOnEpochs()
    {
        var spec = Specs.Digits(epochs: 1000, name: "long");
        spec.Dataset = new DatasetSpec { Name = "linear", ValidationFraction = 0, TestFraction = 0, Synthetic = new SyntheticOptions { Points = 100_000 } };
        spec.Network.Layers[1].Dense.Units = 1;
        spec.Training.Loss = Loss.Mse;

        var error = await Assert.ThrowsAsync<RpcException>(() => service.SubmitAsync(spec));

        var violation = Assert.Single(error.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations);
        Assert.Equal("spec.training.epochs", violation.Field);
        Assert.Contains("100000000 examples", violation.Description);
    }
}

/// <summary>Hosts that are started with an invalid setting stop at once with a message naming it.</summary>
public class StartupTests
{
    public static TheoryData<string, string, string, string> InvalidSettings => new()
    {
        { "Worker", "Worker__Concurrency", "0", "Concurrency" },
        { "Worker", "Worker__CheckpointEverySteps", "-5", "CheckpointEverySteps" },
        { "Worker", "Queue__InvisibilityTimeout", "00:00:01", "Queue:InvisibilityTimeout" },
        { "Api", "TRAINING_GRPC_URL", "ftp://127.0.0.1:1", "TRAINING_GRPC_URL" },
        { "Api", "Auth__Mode", "Sometimes", "Auth:Mode" },
        { "Api", "Limits__MaxLayers", "0", "MaxLayers" },
    };

    [Theory]
    [MemberData(nameof(InvalidSettings))]
    public async Task Host_InvalidSetting_ExitsNamingIt(string host, string setting, string value, string expectedName)
    {
        await using var database = await TestDatabase.CreateAsync();
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Training"] = database.ConnectionString,
            ["TRAINING_GRPC_URL"] = $"http://127.0.0.1:{HostProcess.FreePort()}",
            ["TRAINING_HTTP_URL"] = $"http://127.0.0.1:{HostProcess.FreePort()}",
            [setting] = value,
        };
        var assembly = host == "Api" ? "TrainingService.Api.dll" : "TrainingService.Worker.dll";

        await using var process = HostProcess.Start(host, RepositoryPaths.HostAssembly(host, assembly), environment);
        var exitCode = await process.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.NotEqual(0, exitCode);
        Assert.Contains(expectedName, process.Output);
    }

    [Fact]
    public async Task Host_MissingConnectionString_ExitsNamingIt()
    {
        await using var process = HostProcess.Start("worker", RepositoryPaths.HostAssembly("Worker", "TrainingService.Worker.dll"), new Dictionary<string, string>());

        var exitCode = await process.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(2, exitCode);
        Assert.Contains("ConnectionStrings__Training", process.Output);
    }
}
