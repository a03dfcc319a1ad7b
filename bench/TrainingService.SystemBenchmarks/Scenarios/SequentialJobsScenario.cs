using System.Diagnostics;
using Grpc.Core;
using Training.V1;
using TrainingService.SystemBenchmarks.Hosts;
using TrainingService.SystemBenchmarks.Measurements;
using TrainingService.SystemBenchmarks.Results;
using static TrainingService.SystemBenchmarks.Results.ResultTable;

namespace TrainingService.SystemBenchmarks.Scenarios;

/// <summary>
/// 100 small jobs one after another on one idle worker. Each gives a pickup latency: from the moment
/// SubmitJob returned to the client to the job's first step. After each, the worker's resident memory is read.
/// </summary>
/// <remarks>
/// The first step's time is the time of its step event, which the worker stamps when it stores the step's
/// batch, one short transaction after the step itself: an upper bound on the step's own time. All clocks are
/// this machine's.
/// </remarks>
internal sealed class SequentialJobsScenario(ServiceDeployment service, ResultTable table)
{
    private const int Jobs = 100;
    private const int WarmUpJobs = 10;
    private const double TargetMilliseconds = 100;
    private const double MaxGrowthMiBPerJob = 0.1;

    // Time for the worker to finish the previous Hangfire job's state change and wait for new work again.
    private static readonly TimeSpan IdleBeforeSubmit = TimeSpan.FromMilliseconds(150);

    private readonly List<double> _pickup = [];
    private readonly List<double> _toRunning = [];
    private readonly List<double> _runningToStep = [];
    private readonly List<double> _resident = [];
    private readonly List<double> _managedHeap = [];

    public async Task RunAsync(HostProcess worker, string metricsUrl)
    {
        using var http = new HttpClient { BaseAddress = new Uri(metricsUrl), Timeout = TimeSpan.FromSeconds(5) };

        for (var i = 1; i <= Jobs; i++)
        {
            await Task.Delay(IdleBeforeSubmit);
            var job = await service.Client.SubmitJobAsync(new SubmitJobRequest { Spec = JobSpecs.SmallDigits($"sequential-{i}", (ulong)i) });
            var returnedAt = DateTime.UtcNow;

            var state = await service.WaitForFinishAsync(Guid.Parse(job.Id), TimeSpan.FromMinutes(1), TimeSpan.FromMilliseconds(20));
            if (state != "Succeeded")
            {
                throw new InvalidOperationException($"Job {job.Id} ended {state}.\n{service.Diagnostics()}");
            }

            _resident.Add(ProcessMemory.ResidentMiB(worker.Id));
            _managedHeap.Add(await ReadManagedHeapMiBAsync(http));
            await RecordPickupAsync(job.Id, returnedAt);
        }

        Report();
    }

    /// <summary>
    /// Reads the managed heap's size after the last garbage collection, summed over its generations, from the
    /// worker's Prometheus endpoint (the runtime's dotnet.gc.last_collection.heap.size); NaN when it is absent.
    /// </summary>
    private static async Task<double> ReadManagedHeapMiBAsync(HttpClient http)
    {
        var text = await http.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        var bytes = text.Split('\n')
            .Where(line => line.StartsWith("dotnet_gc_last_collection_heap_size_bytes{", StringComparison.Ordinal))
            .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        return bytes > 0 ? bytes / 1024 / 1024 : double.NaN;
    }

    /// <summary>The least-squares slope of the RSS readings after jobs <paramref name="from"/> + 1 to <paramref name="to"/>, in MiB per job.</summary>
    private double Slope(int from, int to) =>
        Statistics.Slope(_resident.Skip(from).Take(to - from).Select((resident, index) => ((double)index, resident)).ToList());

    private async Task RecordPickupAsync(string jobId, DateTime returnedAt)
    {
        // The job has ended, so the stream returns its whole history and closes.
        using var call = service.Client.WatchJob(new WatchJobRequest { JobId = jobId });
        DateTime? running = null;
        DateTime? firstStep = null;

        await foreach (var jobEvent in call.ResponseStream.ReadAllAsync())
        {
            if (running is null && jobEvent.StateChanged?.State == JobState.Running)
            {
                running = jobEvent.Time.ToDateTime();
            }
            else if (firstStep is null && jobEvent.Step is not null)
            {
                firstStep = jobEvent.Time.ToDateTime();
            }
        }

        if (running is null || firstStep is null)
        {
            throw new InvalidOperationException($"Job {jobId} has no RUNNING event or no step event.");
        }

        _pickup.Add((firstStep.Value - returnedAt).TotalMilliseconds);
        _toRunning.Add((running.Value - returnedAt).TotalMilliseconds);
        _runningToStep.Add((firstStep.Value - running.Value).TotalMilliseconds);
    }

    private void Report()
    {
        var median = Statistics.Median(_pickup);
        table.Add("2. Pickup", $"SubmitJob returned to first step, {Jobs} sequential digits jobs, median",
            $"{Format(median, "F0")} ms", $"< {TargetMilliseconds} ms", median < TargetMilliseconds);
        table.Add("2. Pickup", "same, p90 and max", $"{Format(Statistics.Percentile(_pickup, 0.9), "F0")} ms, {Format(_pickup.Max(), "F0")} ms");
        table.Add("2. Pickup", "part: SubmitJob returned to RUNNING stored, median (negative: the worker started first)", $"{Format(Statistics.Median(_toRunning), "F0")} ms");
        table.Add("2. Pickup", "part: RUNNING stored to first step stored, median", $"{Format(Statistics.Median(_runningToStep), "F0")} ms");

        var checkpoints = new[] { 1, WarmUpJobs, 25, 50, 75, Jobs };
        table.Add("6. Memory", $"worker RSS after jobs {string.Join(", ", checkpoints)}",
            string.Join(", ", checkpoints.Select(job => Format(_resident[job - 1], "F0"))) + " MiB");
        table.Add("6. Memory", $"worker managed heap after the last GC, after the same jobs",
            string.Join(", ", checkpoints.Select(job => Format(_managedHeap[job - 1], "F1"))) + " MiB");

        // Heaps and thread pools that reach their working size grow in the first half only. A leak grows at
        // the same rate in both halves.
        var half = WarmUpJobs + ((Jobs - WarmUpJobs) / 2);
        var early = Slope(WarmUpJobs, half);
        var late = Slope(half, Jobs);
        table.Add("6. Memory", $"worker RSS trend over jobs {WarmUpJobs + 1}-{half} (least squares)", $"{Format(early * 1024, "F0")} KiB per job");
        table.Add("6. Memory", $"worker RSS trend over jobs {half + 1}-{Jobs} (least squares)",
            $"{Format(late * 1024, "F0")} KiB per job", $"< {Format(MaxGrowthMiBPerJob * 1024, "F0")} KiB per job", late < MaxGrowthMiBPerJob);
    }
}
