using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Core;
using Npgsql;
using Training.V1;
using TrainingService.SystemBenchmarks.Hosts;
using TrainingService.SystemBenchmarks.Measurements;
using TrainingService.SystemBenchmarks.Results;
using static TrainingService.SystemBenchmarks.Results.ResultTable;
using TrainingGrpc = Training.V1.TrainingService;

namespace TrainingService.SystemBenchmarks.Scenarios;

/// <summary>
/// Concurrent clients calling SubmitJob and then GetJob on the job they made, over one shared channel and over
/// a channel each, and then 200 WatchJob streams held open at once. Runs with no worker, so training takes no
/// processor time from the API and every job stays queued. Each configuration makes a fixed number of calls.
/// </summary>
internal sealed class SubmitLoadScenario(ServiceDeployment service, ResultTable table)
{
    private const string Area = "3. Submit load";
    private const int IterationsPerConfiguration = 400;
    private const int Streams = 200;
    private static readonly TimeSpan StreamHold = TimeSpan.FromSeconds(10);

    private static readonly (int Clients, bool ChannelEach)[] Configurations =
    [
        (1, false),
        (16, false),
        (16, true),
        (64, false),
        (64, true),
    ];

    private readonly ConcurrentBag<string> _queuedJobs = [];

    public async Task RunAsync()
    {
        foreach (var (clients, channelEach) in Configurations)
        {
            await RunConfigurationAsync(clients, channelEach);
        }

        await HoldStreamsAsync();
    }

    private async Task RunConfigurationAsync(int clients, bool channelEach)
    {
        var shared = service.ClientOn(service.OpenChannel());
        var submitLatencies = new ConcurrentBag<double>();
        var getLatencies = new ConcurrentBag<double>();
        var next = 0;
        var clock = Stopwatch.StartNew();

        await Task.WhenAll(Enumerable.Range(0, clients).Select(async client =>
        {
            var caller = channelEach ? service.ClientOn(service.OpenChannel()) : shared;
            while (Interlocked.Increment(ref next) <= IterationsPerConfiguration)
            {
                var call = Stopwatch.StartNew();
                var job = await caller.SubmitJobAsync(new SubmitJobRequest { Spec = JobSpecs.SmallDigits($"load-{clients}-{client}", 1) });
                submitLatencies.Add(call.Elapsed.TotalMilliseconds);

                call.Restart();
                await caller.GetJobAsync(new GetJobRequest { JobId = job.Id });
                getLatencies.Add(call.Elapsed.TotalMilliseconds);
                _queuedJobs.Add(job.Id);
            }
        }));

        var channels = channelEach ? $"{clients} channels" : "1 channel";
        var callsPerSecond = (submitLatencies.Count + getLatencies.Count) / clock.Elapsed.TotalSeconds;
        table.Add(Area, $"{clients} clients, {channels}: SubmitJob p50 / p99",
            $"{Format(Statistics.Median([.. submitLatencies]), "F1")} / {Format(Statistics.Percentile([.. submitLatencies], 0.99), "F1")} ms");
        table.Add(Area, $"{clients} clients, {channels}: GetJob p50 / p99; calls per second",
            $"{Format(Statistics.Median([.. getLatencies]), "F1")} / {Format(Statistics.Percentile([.. getLatencies], 0.99), "F1")} ms; {Format(callsPerSecond, "F0")}/s");
    }

    /// <summary>
    /// Opens 200 WatchJob streams on queued jobs over one channel, keeps them open while a separate client measures
    /// GetJob, then checks that no stream failed and that the API still reports itself healthy.
    /// </summary>
    private async Task HoldStreamsAsync()
    {
        using var stop = new CancellationTokenSource();

        // Opened before the streams, because the API may then hold every connection slot the server has.
        await using var probeConnection = await service.Database.OpenConnectionAsync();
        var watcher = service.ClientOn(service.OpenChannel());
        var firstEvents = new ConcurrentBag<double>();
        var failures = new ConcurrentBag<string>();
        var opened = Stopwatch.StartNew();

        var streams = _queuedJobs.Take(Streams).Select(jobId => WatchAsync(watcher, jobId, opened, firstEvents, failures, stop.Token)).ToList();
        await Task.Delay(StreamHold);

        var probe = service.ClientOn(service.OpenChannel());
        var getLatencies = new List<double>();
        foreach (var jobId in _queuedJobs.Skip(Streams).Take(100))
        {
            var call = Stopwatch.StartNew();
            await probe.GetJobAsync(new GetJobRequest { JobId = jobId });
            getLatencies.Add(call.Elapsed.TotalMilliseconds);
        }

        var healthyDuring = await service.IsHealthyAsync();
        var connections = await CountServerConnectionsAsync(probeConnection);
        var apiResident = ProcessMemory.ResidentMiB(service.Api.Id);
        await stop.CancelAsync();
        await Task.WhenAll(streams);
        var healthyAfter = await service.IsHealthyAsync() && !service.Api.HasExited;

        table.Add(Area, $"{Streams} WatchJob streams on 1 channel: first event received, p50 / p99 after opening",
            $"{firstEvents.Count} of {Streams}; {Format(Statistics.Median([.. firstEvents]), "F0")} / {Format(Statistics.Percentile([.. firstEvents], 0.99), "F0")} ms");
        table.Add(Area, $"GetJob p50 / p99 while {Streams} streams are open", $"{Format(Statistics.Median(getLatencies), "F1")} / {Format(Statistics.Percentile(getLatencies, 0.99), "F1")} ms");
        table.Add(Area, $"PostgreSQL connections while {Streams} streams are open (max_connections)", connections);
        table.Add(Area, $"API with {Streams} streams: streams failed, health during and after, RSS",
            $"{failures.Count} failed{(failures.IsEmpty ? "" : $" (first: {failures.First()})")}; healthy {(healthyDuring ? "yes" : "no")} / {(healthyAfter ? "yes" : "no")}; {Format(apiResident, "F0")} MiB",
            "0 failed, healthy", failures.IsEmpty && firstEvents.Count == Streams && healthyDuring && healthyAfter);
    }

    private static async Task<string> CountServerConnectionsAsync(NpgsqlConnection connection)
    {
        await using var command = new NpgsqlCommand(
            "SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend') || ' of ' || current_setting('max_connections')", connection);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private static async Task WatchAsync(TrainingGrpc.TrainingServiceClient client, string jobId, Stopwatch opened, ConcurrentBag<double> firstEvents,
        ConcurrentBag<string> failures, CancellationToken stop)
    {
        try
        {
            using var call = client.WatchJob(new WatchJobRequest { JobId = jobId }, cancellationToken: stop);
            var first = true;

            await foreach (var _ in call.ResponseStream.ReadAllAsync(stop))
            {
                if (first)
                {
                    firstEvents.Add(opened.Elapsed.TotalMilliseconds);
                    first = false;
                }
            }

            failures.Add($"the stream of job {jobId} ended while the job was queued");
        }
        catch (RpcException error) when (error.StatusCode == StatusCode.Cancelled && stop.IsCancellationRequested)
        {
            // Closed by the benchmark at the end of the hold.
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Closed by the benchmark at the end of the hold.
        }
        catch (RpcException error)
        {
            failures.Add($"job {jobId}: {error.Status.StatusCode} {error.Status.Detail}");
        }
    }
}
