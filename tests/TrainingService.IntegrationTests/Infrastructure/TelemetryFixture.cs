using System.Diagnostics;
using Grpc.Core;
using Training.V1;

namespace TrainingService.IntegrationTests.Infrastructure;

/// <summary>
/// The service with the worker's Prometheus endpoint on, and a real Prometheus that scrapes the API and the
/// worker every second. Two jobs are trained to the end. The first keeps the worker busy while the second
/// waits in the queue, and the second is submitted with a known trace context.
/// </summary>
/// <remarks>
/// Two jobs, because a rate or an increase needs two points of a series: the worker's histograms get their
/// first point from the first job, so that the panels built on them have data once the second job has run.
/// </remarks>
public sealed class TelemetryFixture : IAsyncLifetime
{
    /// <summary>What the tests put in place of Grafana's $__rate_interval: several scrapes at the 1 s interval.</summary>
    public const string RateInterval = "1m";

    private static readonly TimeSpan TargetsUpTimeout = TimeSpan.FromSeconds(60);

    private readonly int _workerMetricsPort = HostProcess.FreePort();

    public TelemetryFixture()
    {
        Service = new ServiceFixture(new Dictionary<string, string> { ["TRAINING_METRICS_URL"] = WorkerMetricsUrl });
    }

    public ServiceFixture Service { get; }

    public PrometheusServer Prometheus { get; private set; } = null!;

    public string WorkerMetricsUrl => $"http://127.0.0.1:{_workerMetricsPort}";

    /// <summary>When the first job was submitted; every panel's data lies after it.</summary>
    public DateTimeOffset JobsSubmittedAt { get; private set; }

    public Job FirstJob { get; private set; } = null!;

    /// <summary>The job that the panel queries are asked about, submitted while the first one ran.</summary>
    public Job SecondJob { get; private set; } = null!;

    /// <summary>The trace id of the traceparent that the second job's SubmitJob call carried.</summary>
    public ActivityTraceId SecondJobTraceId { get; } = ActivityTraceId.CreateRandom();

    public async Task InitializeAsync()
    {
        await Service.InitializeAsync();
        Prometheus = await PrometheusServer.StartAsync(new Dictionary<string, string>
        {
            ["training-api"] = new Uri(Service.HttpUrl).Authority,
            ["training-worker"] = new Uri(WorkerMetricsUrl).Authority,
        });
        await WaitUntilTargetsUpAsync();

        JobsSubmittedAt = DateTimeOffset.UtcNow;
        FirstJob = await Service.SubmitAsync(LongDigits("telemetry-first", epochs: 4));
        var traceParent = new Metadata { { "traceparent", $"00-{SecondJobTraceId}-{ActivitySpanId.CreateRandom()}-01" } };
        SecondJob = await Service.Client.SubmitJobAsync(new SubmitJobRequest { Spec = LongDigits("telemetry-second", epochs: 10) }, traceParent);

        await AssertSucceededAsync(FirstJob);
        await AssertSucceededAsync(SecondJob);
    }

    /// <summary>The tail of every process's output, Prometheus's included, for assertion messages.</summary>
    public string Diagnostics() => $"{Service.Diagnostics()}\n--- prometheus ---\n{Tail(Prometheus?.Output ?? "")}";

    public async Task DisposeAsync()
    {
        if (Prometheus is not null)
        {
            await Prometheus.DisposeAsync();
        }

        await Service.DisposeAsync();
    }

    /// <summary>A digits job with one example per step, so that it runs for seconds and Prometheus scrapes it several times.</summary>
    private static JobSpec LongDigits(string name, int epochs)
    {
        var spec = Specs.Digits(epochs, name);
        spec.Training.BatchSize = 1;
        spec.Optimizer.LearningRate = 1e-3;
        return spec;
    }

    private async Task AssertSucceededAsync(Job job)
    {
        var events = await Service.WatchToEndAsync(job.Id);
        var end = events[^1].StateChanged;

        if (end?.State != JobState.Succeeded)
        {
            throw new InvalidOperationException($"Job {job.Id} ({job.Spec.Name}) ended {end?.State}: {end?.Reason}\n{Diagnostics()}");
        }
    }

    private async Task WaitUntilTargetsUpAsync()
    {
        var clock = Stopwatch.StartNew();

        while (clock.Elapsed < TargetsUpTimeout)
        {
            var up = await Prometheus.QueryAsync("up == 1");
            if (up.Count == 2)
            {
                return;
            }

            await Task.Delay(500);
        }

        throw new TimeoutException($"Prometheus did not scrape both the API and the worker within {TargetsUpTimeout}.\n{Diagnostics()}");
    }

    private static string Tail(string output) => output.Length <= 4000 ? output : output[^4000..];
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryTestGroup : ICollectionFixture<TelemetryFixture>
{
    public const string Name = "telemetry";
}
