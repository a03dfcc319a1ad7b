using Grpc.Core;
using Training.V1;
using TrainingService.IntegrationTests.Infrastructure;

namespace TrainingService.IntegrationTests;

[Collection(ServiceTestGroup.Name)]
public class AuthAndIdempotencyTests(ServiceFixture service)
{
    [Fact]
    public async Task Call_WithoutKey_Unauthenticated()
    {
        var anonymous = service.ClientWithKey(null);

        var error = await Assert.ThrowsAsync<RpcException>(async () => await anonymous.ListJobsAsync(new ListJobsRequest()));

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
        Assert.Contains("x-api-key", error.Status.Detail);
    }

    [Fact]
    public async Task Call_WithUnknownKey_Unauthenticated()
    {
        var stranger = service.ClientWithKey("tsk_not-a-real-key");

        var error = await Assert.ThrowsAsync<RpcException>(async () => await stranger.GetJobAsync(new GetJobRequest { JobId = Guid.NewGuid().ToString() }));

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }

    [Fact]
    public async Task HealthCheck_WithoutKey_Serving()
    {
        var health = new Grpc.Health.V1.Health.HealthClient(service.Channel);

        var response = await health.CheckAsync(new Grpc.Health.V1.HealthCheckRequest());

        Assert.Equal(Grpc.Health.V1.HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
    }

    [Fact]
    public async Task OtherKey_SeesNoneOfTheJobs()
    {
        var other = service.ClientWithKey(await service.CreateApiKeyAsync("other-team"));
        var job = await service.SubmitAsync(Specs.Digits(epochs: 1, name: "private"));

        var get = await Assert.ThrowsAsync<RpcException>(async () => await other.GetJobAsync(new GetJobRequest { JobId = job.Id }));
        var cancel = await Assert.ThrowsAsync<RpcException>(async () => await other.CancelJobAsync(new CancelJobRequest { JobId = job.Id }));
        var watch = await Assert.ThrowsAsync<RpcException>(async () => await other.WatchJob(new WatchJobRequest { JobId = job.Id }).ResponseStream.MoveNext());
        var listed = await other.ListJobsAsync(new ListJobsRequest { PageSize = 500 });
        await service.WatchToEndAsync(job.Id);

        Assert.Equal(StatusCode.NotFound, get.StatusCode);
        Assert.Equal(StatusCode.NotFound, cancel.StatusCode);
        Assert.Equal(StatusCode.NotFound, watch.StatusCode);
        Assert.DoesNotContain(listed.Jobs, j => j.Id == job.Id);
    }

    [Fact]
    public async Task SubmitJob_SameRequestIdConcurrently_OneJob()
    {
        var requestId = Guid.NewGuid().ToString();
        var spec = Specs.Digits(epochs: 1, name: "idempotent");

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(async _ =>
            await service.Client.SubmitJobAsync(new SubmitJobRequest { Spec = spec, RequestId = requestId })));
        var retry = await service.Client.SubmitJobAsync(new SubmitJobRequest { Spec = spec, RequestId = requestId });
        await service.WatchToEndAsync(retry.Id);

        Assert.Single(responses.Select(r => r.Id).Distinct());
        Assert.Equal(responses[0].Id, retry.Id);
        var listed = await service.Client.ListJobsAsync(new ListJobsRequest { PageSize = 500 });
        Assert.Single(listed.Jobs, j => j.Name == "idempotent");
    }

    [Fact]
    public async Task SubmitJob_SameRequestIdOtherSpec_AlreadyExists()
    {
        var requestId = Guid.NewGuid().ToString();
        var first = await service.Client.SubmitJobAsync(new SubmitJobRequest { Spec = Specs.Digits(epochs: 1, name: "first"), RequestId = requestId });

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await service.Client.SubmitJobAsync(new SubmitJobRequest { Spec = Specs.Digits(epochs: 2, name: "first"), RequestId = requestId }));
        await service.WatchToEndAsync(first.Id);

        Assert.Equal(StatusCode.AlreadyExists, error.StatusCode);
        Assert.Contains(first.Id, error.Status.Detail);
    }

    [Fact]
    public async Task SubmitJob_SameRequestIdOtherKey_SeparateJobs()
    {
        var requestId = Guid.NewGuid().ToString();
        var other = service.ClientWithKey(await service.CreateApiKeyAsync("other-requests"));
        var spec = Specs.Digits(epochs: 1, name: "per-key");

        var mine = await service.Client.SubmitJobAsync(new SubmitJobRequest { Spec = spec, RequestId = requestId });
        var theirs = await other.SubmitJobAsync(new SubmitJobRequest { Spec = spec, RequestId = requestId });
        await service.WatchToEndAsync(mine.Id);

        Assert.NotEqual(mine.Id, theirs.Id);
    }
}
