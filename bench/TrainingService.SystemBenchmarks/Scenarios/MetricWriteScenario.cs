using Training.V1;
using TrainingService.SystemBenchmarks.Hosts;
using TrainingService.SystemBenchmarks.Results;
using static TrainingService.SystemBenchmarks.Results.ResultTable;

namespace TrainingService.SystemBenchmarks.Scenarios;

/// <summary>
/// How fast a worker stores step metrics, and how many rows a job leaves. The rate comes from a digits job
/// with one example per step, which makes steps faster than any other job here, so the batched writer is
/// what limits it. The rows per job come from a mnist job of the throughput scenario.
/// </summary>
internal sealed class MetricWriteScenario(ServiceDeployment service, ResultTable table)
{
    private const string Area = "5. Metric writes";
    private const int Epochs = 3;

    public async Task RunAsync(Guid mnistJob)
    {
        var spec = JobSpecs.SmallDigits("metric-writes", seed: 5, batchSize: 1, epochs: Epochs);
        var job = await service.Client.SubmitJobAsync(new SubmitJobRequest { Spec = spec });
        var jobId = Guid.Parse(job.Id);
        var state = await service.WaitForFinishAsync(jobId, TimeSpan.FromMinutes(3), TimeSpan.FromMilliseconds(100));
        if (state != "Succeeded")
        {
            throw new InvalidOperationException($"Metric-write job {jobId} ended {state}.\n{service.Diagnostics()}");
        }

        await ReportWriteRateAsync(jobId);
        await ReportRowsAsync(mnistJob);
    }

    private async Task ReportWriteRateAsync(Guid jobId)
    {
        // Every row of one batch gets the same recorded_at, so the distinct values count the INSERT batches.
        await using var command = service.Database.CreateCommand("""
            SELECT count(*), count(DISTINCT recorded_at),
                   extract(epoch FROM max(recorded_at) - min(recorded_at)),
                   (SELECT train_seconds FROM runs WHERE job_id = $1 AND attempt = 1),
                   max(cardinality(layer_gradient_norms))
            FROM step_metrics WHERE job_id = $1
            """);
        command.Parameters.AddWithValue(jobId);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();

        var rows = reader.GetInt64(0);
        var batches = reader.GetInt64(1);
        var writeSeconds = (double)reader.GetDecimal(2);
        var trainSeconds = reader.GetDouble(3);
        var valuesPerRow = 4 + reader.GetInt32(4);

        table.Add(Area, $"step rows stored per second, digits batch 1 ({rows} steps, first to last batch)",
            $"{Format(rows / writeSeconds, "F0")} rows/s = {Format(rows * valuesPerRow / writeSeconds, "F0")} values/s");
        table.Add(Area, "steps trained per second in that job (the rate the writer must keep)", $"{Format(rows / trainSeconds, "F0")} steps/s");
        table.Add(Area, "INSERT batches for that job", $"{batches} batches, {Format((double)rows / batches, "F0")} rows each on average");
    }

    private async Task ReportRowsAsync(Guid jobId)
    {
        await using var command = service.Database.CreateCommand("""
            SELECT (SELECT count(*) FROM step_metrics WHERE job_id = $1),
                   (SELECT count(*) FROM epoch_metrics WHERE job_id = $1),
                   (SELECT count(*) FROM job_events WHERE job_id = $1),
                   (SELECT count(*) FROM job_events WHERE job_id = $1 AND kind = 'Step'),
                   (SELECT count(*) FROM runs WHERE job_id = $1),
                   (SELECT count(*) FROM models WHERE job_id = $1),
                   (SELECT count(*) FROM checkpoints WHERE job_id = $1)
            """);
        command.Parameters.AddWithValue(jobId);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();

        table.Add(Area, "rows of one mnist job, 5 epochs of 110 steps",
            $"{reader.GetInt64(0)} step, {reader.GetInt64(1)} epoch, {reader.GetInt64(2)} event ({reader.GetInt64(3)} sampled steps), " +
            $"{reader.GetInt64(4)} run, {reader.GetInt64(5)} model, {reader.GetInt64(6)} checkpoint");
    }
}
