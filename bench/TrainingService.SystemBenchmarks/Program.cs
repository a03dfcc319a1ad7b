using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using TrainingService.SystemBenchmarks;
using TrainingService.SystemBenchmarks.Hosts;
using TrainingService.SystemBenchmarks.Measurements;
using TrainingService.SystemBenchmarks.Results;
using TrainingService.SystemBenchmarks.Scenarios;

// Runs every whole-system benchmark against one deployment, in an order that leaves each scenario the
// state it needs: one idle worker first, then two, then none for the load on the API.
var settings = BenchmarkSettings.Parse(args);
if (settings is null)
{
    return 2;
}

Directory.CreateDirectory(settings.LogDirectory);
var machine = MachineInfo.Read();
var loadAtStart = MachineInfo.LoadAverage();
var clock = Stopwatch.StartNew();
var table = new ResultTable();

await using (var service = await ServiceDeployment.StartAsync(settings))
{
    Console.WriteLine($"bench: API on {service.GrpcUrl}; logs in {settings.LogDirectory}");
    // The first worker serves its metrics, as a deployment that scrapes them would, and the runner reads
    // the managed heap's size from them.
    var workerMetricsUrl = $"http://127.0.0.1:{HostProcess.FreePort()}";
    var worker = await service.StartWorkerAsync(new Dictionary<string, string> { ["TRAINING_METRICS_URL"] = workerMetricsUrl });

    if (settings.Scenarios.Contains("throughput"))
    {
        var throughput = new ThroughputScenario(service, table);
        await RunScenarioAsync("1. Throughput", () => throughput.RunAsync(worker));
        await RunScenarioAsync("6. Memory", () =>
        {
            TensorLeakCheck.Run(table);
            return Task.CompletedTask;
        });

        if (settings.Scenarios.Contains("writes") && throughput.WorkerJobs.Count > 0)
        {
            await RunScenarioAsync("5. Metric writes", () => new MetricWriteScenario(service, table).RunAsync(throughput.WorkerJobs[^1]));
        }
    }

    if (settings.Scenarios.Contains("sequential"))
    {
        await RunScenarioAsync("2. Pickup and 6. Memory", () => new SequentialJobsScenario(service, table).RunAsync(worker, workerMetricsUrl));
    }

    if (settings.Scenarios.Contains("scale-out"))
    {
        await RunScenarioAsync("4. Scale-out", () => new ScaleOutScenario(service, table).RunAsync());
    }

    foreach (var running in service.Workers.ToList())
    {
        await service.StopWorkerAsync(running);
    }

    if (settings.Scenarios.Contains("load"))
    {
        service.ReleaseIdleConnections();
        await RunScenarioAsync("3. Submit load", () => new SubmitLoadScenario(service, table).RunAsync());
    }
}

AddMicroBenchmarks(table, MicroBenchmarkResults.Read(settings.MicroResultsDirectory));
var loadAtEnd = MachineInfo.LoadAverage();

var header = new StringBuilder()
    .AppendLine(CultureInfo.InvariantCulture, $"Machine: {machine.Processor}, {machine.Cores} cores, {machine.MemoryGiB:F0} GiB; {machine.Os}; {machine.Runtime}")
    .AppendLine(CultureInfo.InvariantCulture, $"Load average (1, 5, 15 min): {loadAtStart} at the start, {loadAtEnd} at the end")
    .AppendLine(CultureInfo.InvariantCulture, $"Whole-system runner took {clock.Elapsed.TotalSeconds:F0} s, finished {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC")
    .ToString();

Console.WriteLine();
Console.Write(header);
Console.WriteLine();
Console.Write(table.ToText());

Directory.CreateDirectory(settings.ResultsDirectory);
await File.WriteAllTextAsync(Path.Combine(settings.ResultsDirectory, "results.md"), header.Replace("\n", "  \n") + "\n" + table.ToMarkdown());
await File.WriteAllTextAsync(Path.Combine(settings.ResultsDirectory, "results.json"), JsonSerializer.Serialize(new { header, table.Rows }, new JsonSerializerOptions { WriteIndented = true }));
return table.Rows.Any(row => row.Verdict == "missed") ? 1 : 0;

// A scenario that fails leaves a row saying so, and the others still run.
async Task RunScenarioAsync(string area, Func<Task> scenario)
{
    Console.WriteLine($"bench: {area}");

    try
    {
        await scenario();
    }
    catch (Exception error) when (error is not OutOfMemoryException)
    {
        Console.Error.WriteLine($"bench: {area} failed: {error}");
        table.Add(area, "scenario failed; see the runner's output", error.GetType().Name + ": " + error.Message.Split('\n')[0], "completes", met: false);
    }
}

static void AddMicroBenchmarks(ResultTable table, IReadOnlyList<MicroBenchmarkResult> results)
{
    foreach (var result in results)
    {
        table.Add("BenchmarkDotNet", $"{result.Type}.{result.Method}", Time(result.MedianNanoseconds));
    }
}

static string Time(double nanoseconds) => nanoseconds switch
{
    >= 1e9 => $"{nanoseconds / 1e9:F2} s",
    >= 1e6 => $"{nanoseconds / 1e6:F2} ms",
    >= 1e3 => $"{nanoseconds / 1e3:F1} us",
    _ => $"{nanoseconds:F0} ns",
};
