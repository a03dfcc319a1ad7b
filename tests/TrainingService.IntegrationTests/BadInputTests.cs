using System.Net;
using System.Net.Http.Headers;
using Google.Rpc;
using Grpc.Core;
using Training.V1;
using TrainingService.IntegrationTests.Infrastructure;

namespace TrainingService.IntegrationTests;

/// <summary>
/// Every spec field with its wrong values, malformed and oversized messages: each call gets a clear error
/// naming the field, and the service keeps serving.
/// </summary>
[Collection(ServiceTestGroup.Name)]
public class BadInputTests(ServiceFixture service)
{
    public static TheoryData<string, Action<JobSpec>> BrokenSpecs => new()
    {
        { "spec.name", s => s.Name = new string('n', 10_000) },
        { "spec.dataset", s => s.Dataset = null },
        { "spec.dataset.name", s => s.Dataset.Name = "" },
        { "spec.dataset.name", s => s.Dataset.Name = "../../etc/passwd" },
        { "spec.dataset.validation_fraction", s => s.Dataset.ValidationFraction = -0.1 },
        { "spec.dataset.validation_fraction", s => s.Dataset.ValidationFraction = double.NaN },
        { "spec.dataset.test_fraction", s => s.Dataset.TestFraction = double.PositiveInfinity },
        { "spec.dataset.test_fraction", s => s.Dataset.TestFraction = 1 },
        { "spec.dataset.synthetic", s => s.Dataset.Synthetic = new SyntheticOptions() },
        { "spec.network.layers", s => s.Network = null },
        { "spec.network.layers", s => s.Network.Layers.Clear() },
        { "spec.network.layers", s => { for (var i = 0; i < 100; i++) { s.Network.Layers.Insert(0, new LayerSpec { Dense = new DenseLayer { Units = 8 } }); } } },
        { "spec.network.layers[0]", s => s.Network.Layers[0] = new LayerSpec() },
        { "spec.network.layers[0].dense.units", s => s.Network.Layers[0].Dense.Units = -1 },
        { "spec.network.layers[0].dense.units", s => s.Network.Layers[0].Dense.Units = int.MaxValue },
        { "spec.network.layers[0].dense.activation", s => s.Network.Layers[0].Dense.Activation = (Activation)(-3) },
        { "spec.network.layers[0].dense.dropout", s => s.Network.Layers[0].Dense.Dropout = double.NaN },
        { "spec.network.layers[0].dense.negative_slope", s => s.Network.Layers[0].Dense.NegativeSlope = 0.5 },
        { "spec.network.layers[0].dense.init.kind", s => s.Network.Layers[0].Dense.Init = new Initialization { Kind = (Init)1234 } },
        { "spec.network.layers[0].dense.init.value", s => s.Network.Layers[0].Dense.Init = new Initialization { Kind = Init.Constant, Value = double.NegativeInfinity } },
        { "spec.network.layers[1].dense.units", s => s.Network.Layers[1].Dense.Units = 11 },
        { "spec.optimizer", s => s.Optimizer = null },
        { "spec.optimizer", s => s.Optimizer.ClearKind() },
        { "spec.optimizer.learning_rate", s => s.Optimizer.LearningRate = 0 },
        { "spec.optimizer.learning_rate", s => s.Optimizer.LearningRate = -1 },
        { "spec.optimizer.learning_rate", s => s.Optimizer.LearningRate = double.NaN },
        { "spec.optimizer.learning_rate", s => s.Optimizer.LearningRate = 1e300 },
        { "spec.optimizer.max_gradient_norm", s => s.Optimizer.MaxGradientNorm = double.NaN },
        { "spec.optimizer.adam.beta1", s => s.Optimizer.Adam.Beta1 = -0.1 },
        { "spec.optimizer.adam.beta2", s => s.Optimizer.Adam.Beta2 = 1 },
        { "spec.optimizer.adam.epsilon", s => s.Optimizer.Adam.Epsilon = double.PositiveInfinity },
        { "spec.optimizer.sgd.momentum", s => s.Optimizer.Sgd = new SgdOptions { Momentum = double.NaN } },
        { "spec.optimizer.sgd.dampening", s => s.Optimizer.Sgd = new SgdOptions { Dampening = -1 } },
        { "spec.optimizer.sgd.nesterov", s => s.Optimizer.Sgd = new SgdOptions { Nesterov = true } },
        { "spec.optimizer.rmsprop.alpha", s => s.Optimizer.Rmsprop = new RmsPropOptions { Alpha = 2 } },
        { "spec.optimizer.schedule.warmup_steps", s => s.Optimizer.Schedule = new LearningRateSchedule { WarmupSteps = long.MaxValue } },
        { "spec.optimizer.schedule.step_decay.gamma", s => s.Optimizer.Schedule = new LearningRateSchedule { StepDecay = new StepDecay { StepSize = 1, Gamma = double.NaN } } },
        { "spec.optimizer.schedule.cosine.min_learning_rate", s => s.Optimizer.Schedule = new LearningRateSchedule { Cosine = new CosineDecay { MinLearningRate = -1 } } },
        { "spec.regularization.l2", s => s.Regularization.L2 = -0.1 },
        { "spec.regularization.weight_decay", s => s.Regularization.WeightDecay = double.PositiveInfinity },
        { "spec.regularization.weight_decay", s => s.Regularization.WeightDecay = 0.1 },
        { "spec.regularization.dropout", s => s.Regularization.Dropout = 1 },
        { "spec.regularization.early_stopping.patience", s => s.Regularization.EarlyStopping = new EarlyStopping { Patience = -2 } },
        { "spec.training", s => s.Training = null },
        { "spec.training.epochs", s => s.Training.Epochs = 0 },
        { "spec.training.epochs", s => s.Training.Epochs = -7 },
        { "spec.training.epochs", s => s.Training.Epochs = int.MaxValue },
        { "spec.training.batch_size", s => s.Training.BatchSize = 0 },
        { "spec.training.batch_size", s => s.Training.BatchSize = int.MaxValue },
        { "spec.training.loss", s => s.Training.Loss = (Loss)99 },
        { "spec.training.timeout_seconds", s => s.Training.TimeoutSeconds = -1 },
        { "spec.training.timeout_seconds", s => s.Training.TimeoutSeconds = long.MaxValue },
    };

    [Theory]
    [MemberData(nameof(BrokenSpecs))]
    public async Task SubmitJob_BrokenField_InvalidArgumentNamingIt(string expectedField, Action<JobSpec> breakSpec)
    {
        var spec = Specs.Digits(epochs: 1, name: "broken");
        breakSpec(spec);

        var error = await Assert.ThrowsAsync<RpcException>(() => service.SubmitAsync(spec));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var fields = error.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations.Select(v => v.Field).ToList();
        Assert.Contains(expectedField, fields);
        await AssertStillServingAsync();
    }

    public static TheoryData<string, Func<Training.V1.TrainingService.TrainingServiceClient, Task>> BrokenRequests => new()
    {
        { "job_id", client => client.GetJobAsync(new GetJobRequest { JobId = "" }).ResponseAsync },
        { "job_id", client => client.GetJobAsync(new GetJobRequest { JobId = "'; DROP TABLE jobs; --" }).ResponseAsync },
        { "job_id", client => client.CancelJobAsync(new CancelJobRequest { JobId = new string('9', 5000) }).ResponseAsync },
        { "page_size", client => client.ListJobsAsync(new ListJobsRequest { PageSize = -1 }).ResponseAsync },
        { "page_size", client => client.ListJobsAsync(new ListJobsRequest { PageSize = 100_000 }).ResponseAsync },
        { "page_token", client => client.ListJobsAsync(new ListJobsRequest { PageToken = "not base64 !" }).ResponseAsync },
        { "state", client => client.ListJobsAsync(new ListJobsRequest { State = (JobState)42 }).ResponseAsync },
        { "after_sequence", client => client.WatchJob(new WatchJobRequest { JobId = Guid.NewGuid().ToString(), AfterSequence = -1 }).ResponseStream.MoveNext() },
        { "max_steps", client => client.GetMetricsAsync(new GetMetricsRequest { JobId = Guid.NewGuid().ToString(), MaxSteps = -5 }).ResponseAsync },
        { "after_step", client => client.GetMetricsAsync(new GetMetricsRequest { JobId = Guid.NewGuid().ToString(), AfterStep = -5 }).ResponseAsync },
        { "request_id", client => client.SubmitJobAsync(new SubmitJobRequest { Spec = Specs.Digits(epochs: 1), RequestId = new string('r', 200) }).ResponseAsync },
        { "request_id", client => client.SubmitJobAsync(new SubmitJobRequest { Spec = Specs.Digits(epochs: 1), RequestId = "line\nbreak" }).ResponseAsync },
    };

    [Theory]
    [MemberData(nameof(BrokenRequests))]
    public async Task Request_BrokenField_InvalidArgumentNamingIt(string expectedField, Func<Training.V1.TrainingService.TrainingServiceClient, Task> call)
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => call(service.Client));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal(expectedField, Assert.Single(error.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations).Field);
        await AssertStillServingAsync();
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x0F })]
    [InlineData(new byte[] { 0x0A, 0x50, 0x01 })]
    [InlineData(new byte[] { 0x12, 0x05, 0x61 })]
    public async Task SubmitJob_MalformedProtobuf_InvalidArgument(byte[] payload)
    {
        var status = await PostRawAsync("/training.v1.TrainingService/SubmitJob", Frame(payload));

        Assert.Equal(((int)StatusCode.InvalidArgument).ToString(System.Globalization.CultureInfo.InvariantCulture), status);
        await AssertStillServingAsync();
    }

    [Fact]
    public async Task SubmitJob_OversizedMessage_ResourceExhausted()
    {
        var spec = Specs.Digits(epochs: 1);
        spec.Name = new string('x', 5 * 1024 * 1024);

        var error = await Assert.ThrowsAsync<RpcException>(() => service.SubmitAsync(spec));

        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        await AssertStillServingAsync();
    }

    private async Task AssertStillServingAsync()
    {
        var page = await service.Client.ListJobsAsync(new ListJobsRequest { PageSize = 1 });
        Assert.NotNull(page);
    }

    /// <summary>Sends one gRPC frame over HTTP/2 without a generated client and returns the grpc-status trailer.</summary>
    private async Task<string?> PostRawAsync(string path, byte[] body)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, service.GrpcUrl + path)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        request.Headers.TryAddWithoutValidation("x-api-key", service.ApiKey);

        using var response = await http.SendAsync(request);
        await response.Content.ReadAsByteArrayAsync();
        return response.TrailingHeaders.TryGetValues("grpc-status", out var values) ? values.First()
            : response.Headers.TryGetValues("grpc-status", out var headerValues) ? headerValues.First() : null;
    }

    private static byte[] Frame(byte[] payload)
    {
        var frame = new byte[5 + payload.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1, 4), (uint)payload.Length);
        payload.CopyTo(frame, 5);
        return frame;
    }
}
