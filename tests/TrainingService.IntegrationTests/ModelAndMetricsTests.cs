using Google.Rpc;
using Grpc.Core;
using Microsoft.EntityFrameworkCore;
using Training.V1;
using TrainingService.Core.Datasets;
using TrainingService.IntegrationTests.Infrastructure;

namespace TrainingService.IntegrationTests;

[Collection(ServiceTestGroup.Name)]
public class ModelAndMetricsTests(ServiceFixture service)
{
    [Fact]
    public async Task GetMetrics_SucceededJob_PagesThroughEveryStep()
    {
        var (job, result) = await TrainAsync(Specs.Digits(epochs: 2, name: "metrics"));

        var pages = new List<GetMetricsResponse>();
        long after = 0;
        do
        {
            var page = await service.Client.GetMetricsAsync(new GetMetricsRequest { JobId = job.Id, AfterStep = after, MaxSteps = 30 });
            pages.Add(page);
            after = page.NextAfterStep;
        }
        while (after != 0);

        var steps = pages.SelectMany(p => p.Steps).ToList();
        Assert.Equal(Enumerable.Range(1, (int)result.Steps).Select(i => (long)i), steps.Select(s => s.Step));
        Assert.All(steps, s => Assert.Equal(["dense0", "dense1"], s.LayerGradientNorms.Select(n => n.Layer)));
        Assert.All(pages, p => Assert.Equal([1, 2], p.Epochs.Select(e => e.Epoch)));
        Assert.True(pages[0].Epochs[0].HasValidationAccuracy);
    }

    [Fact]
    public async Task DownloadModel_SucceededJob_StreamsStoredBytes()
    {
        var (job, result) = await TrainAsync(Specs.Digits(epochs: 1, name: "download"));

        using var call = service.Client.DownloadModel(new DownloadModelRequest { JobId = job.Id });
        var chunks = await call.ResponseStream.ReadAllAsync().ToListAsync();

        var description = chunks[0].Description;
        var bytes = chunks.Skip(1).SelectMany(c => c.Data.ToByteArray()).ToArray();
        await using var db = service.CreateDbContext();
        var stored = await db.Models.SingleAsync(m => m.JobId == Guid.Parse(job.Id));
        Assert.Equal("torchsharp-state-dict", description.Format);
        Assert.Equal(result.ModelSizeBytes, description.SizeBytes);
        Assert.Equal("digits", description.Spec.Dataset.Name);
        Assert.Equal(stored.State, bytes);
    }

    [Fact]
    public async Task Predict_RawDigitsRows_MostlyRightWithProbabilities()
    {
        var spec = Specs.Digits(epochs: 5, name: "predict");
        var (job, _) = await TrainAsync(spec);
        var test = PreparedData.Prepare(spec).Splits.Test;
        var request = new PredictRequest { JobId = job.Id };
        for (var row = 0; row < 50; row++)
        {
            // Prepared digits features are pixel counts divided by 16; the service takes the raw counts.
            var raw = new InputRow();
            raw.Values.AddRange(test.Features.Skip(row * 64).Take(64).Select(v => v * 16f));
            request.Rows.Add(raw);
        }

        var response = await service.Client.PredictAsync(request);

        Assert.Equal(10, response.OutputWidth);
        Assert.Equal(50, response.Predictions.Count);
        Assert.All(response.Predictions, p => Assert.Equal(1.0, p.Outputs.Sum(), 4));
        var correct = response.Predictions.Select((p, i) => p.PredictedClass == test.Labels![i]).Count(ok => ok);
        Assert.True(correct >= 40, $"{correct} of 50 predicted right");
    }

    [Fact]
    public async Task Predict_WrongWidthOrNaN_FieldViolationsNameRows()
    {
        var (job, _) = await TrainAsync(Specs.Digits(epochs: 1, name: "predict-bad"));
        var shortRow = new InputRow { Values = { 1f, 2f } };
        var nanRow = new InputRow();
        nanRow.Values.AddRange(Enumerable.Repeat(1f, 64));
        nanRow.Values[5] = float.NaN;

        var error = await Assert.ThrowsAsync<RpcException>(async () =>
            await service.Client.PredictAsync(new PredictRequest { JobId = job.Id, Rows = { shortRow, nanRow } }));
        var empty = await Assert.ThrowsAsync<RpcException>(async () =>
            await service.Client.PredictAsync(new PredictRequest { JobId = job.Id }));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var fields = error.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations.Select(v => v.Field).ToList();
        Assert.Equal(["rows[0].values", "rows[1].values[5]"], fields);
        Assert.Equal(StatusCode.InvalidArgument, empty.StatusCode);
    }

    [Fact]
    public async Task DownloadModel_QueuedOrUnknownJob_FailedPreconditionOrNotFound()
    {
        var spec = Specs.Digits(epochs: 1000, name: "no-model-yet");
        spec.Training.BatchSize = 1;
        var job = await service.SubmitAsync(spec);

        var notYet = await Assert.ThrowsAsync<RpcException>(async () =>
            await service.Client.DownloadModel(new DownloadModelRequest { JobId = job.Id }).ResponseStream.ReadAllAsync().ToListAsync());
        var unknown = await Assert.ThrowsAsync<RpcException>(async () =>
            await service.Client.PredictAsync(new PredictRequest { JobId = Guid.NewGuid().ToString(), Rows = { new InputRow() } }));
        await service.Client.CancelJobAsync(new CancelJobRequest { JobId = job.Id });
        await service.WatchToEndAsync(job.Id);

        Assert.Equal(StatusCode.FailedPrecondition, notYet.StatusCode);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
    }

    private async Task<(Job Job, JobResult Result)> TrainAsync(JobSpec spec)
    {
        var job = await service.SubmitAsync(spec);
        var events = await service.WatchToEndAsync(job.Id);
        Assert.True(events[^1].StateChanged.State == JobState.Succeeded, $"job ended {events[^1]}\n{service.Diagnostics()}");
        return (job, events.Single(e => e.EventCase == JobEvent.EventOneofCase.Result).Result);
    }
}
