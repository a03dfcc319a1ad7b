using System.Diagnostics;
using TrainingService.IntegrationTests.Infrastructure;

namespace TrainingService.IntegrationTests;

/// <summary>
/// The telemetry path without Docker: the worker's and the API's Prometheus endpoints scraped by a real
/// Prometheus, the dashboards' queries run against it, and the trace context carried through the queue.
/// </summary>
[Collection(TelemetryTestGroup.Name)]
public class TelemetryTests(TelemetryFixture telemetry)
{
    private static readonly TimeSpan DataTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task DashboardPanels_AfterJobs_EveryQueryReturnsData()
    {
        var jobId = telemetry.SecondJob.Id;
        var queries = DashboardQueries.ReadAll();
        var deadline = DateTime.UtcNow + DataTimeout;
        var failing = new List<string>();

        foreach (var query in queries)
        {
            if (!await HasDataAsync(query.ForJob(jobId, TelemetryFixture.RateInterval), deadline))
            {
                failing.Add(query.ToString());
            }
        }

        Assert.True(queries.Count >= 15, $"expected the Training and Queue dashboards' queries in {DashboardQueries.Folder}, found {queries.Count}");
        Assert.True(failing.Count == 0,
            $"{failing.Count} of {queries.Count} panel queries returned no finite sample for job {jobId} within {DataTimeout}:\n" +
            $"{string.Join("\n", failing)}\n{telemetry.Diagnostics()}");
    }

    [Fact]
    public async Task JobSeries_AfterJobEnds_StopInPrometheus()
    {
        var selector = $"training_loss{{job_id=\"{telemetry.SecondJob.Id}\", job_name=\"telemetry-second\"}}";
        var clock = Stopwatch.StartNew();

        var history = await telemetry.Prometheus.QueryRangeAsync(selector, telemetry.JobsSubmittedAt, DateTimeOffset.UtcNow, Step);
        var current = await telemetry.Prometheus.QueryAsync(selector);
        while (current.Count > 0 && clock.Elapsed < DataTimeout)
        {
            await Task.Delay(500);
            current = await telemetry.Prometheus.QueryAsync(selector);
        }

        Assert.Single(history);
        Assert.True(current.Count == 0, $"{selector} still has a current value {clock.Elapsed} after the job ended: {string.Join(", ", current)}");
    }

    [Fact]
    public void SubmitJob_WithTraceParent_WorkerSpanJoinsTrace()
    {
        var jobId = telemetry.SecondJob.Id;
        var worker = Assert.Single(telemetry.Service.Workers);

        var started = worker.Output.Split('\n').Select(line => line.Trim()).SingleOrDefault(line => line.StartsWith($"Job {jobId} attempt 1 started", StringComparison.Ordinal));

        Assert.NotNull(started);
        Assert.EndsWith($"in trace {telemetry.SecondJobTraceId}", started);
    }

    [Fact]
    public async Task HangfireDashboard_SucceededJobs_ShowJobNameAndId()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var adminKey = await telemetry.Service.CreateApiKeyAsync("operator", admin: true);
        using var anonymous = await http.GetAsync($"{telemetry.Service.HttpUrl}/hangfire/jobs/succeeded");
        using var ordinaryKey = await http.GetAsync($"{telemetry.Service.HttpUrl}/hangfire/jobs/succeeded?api_key={Uri.EscapeDataString(telemetry.Service.ApiKey)}");

        var page = await http.GetStringAsync($"{telemetry.Service.HttpUrl}/hangfire/jobs/succeeded?api_key={Uri.EscapeDataString(adminKey)}");

        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, ordinaryKey.StatusCode);
        Assert.Contains($"Train job telemetry-first ({telemetry.FirstJob.Id})", page);
        Assert.Contains($"Train job telemetry-second ({telemetry.SecondJob.Id})", page);
    }

    /// <summary>Repeats a panel's range query over the jobs' time until it has a finite sample or the deadline passes.</summary>
    private async Task<bool> HasDataAsync(string expression, DateTime deadline)
    {
        while (true)
        {
            var series = await telemetry.Prometheus.QueryRangeAsync(expression, telemetry.JobsSubmittedAt, DateTimeOffset.UtcNow, Step);
            if (series.Count > 0)
            {
                return true;
            }

            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }

            await Task.Delay(500);
        }
    }
}
