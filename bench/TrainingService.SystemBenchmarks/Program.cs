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
    var worker = await service.StartWorkerAsync();

    if (settings.Scenarios.Contains("throughput"))
    {
        Console.WriteLine("bench: 1. throughput");
        var throughput = new ThroughputScenario(service, table);
        await throughput.RunAsync(worker);

        Console.WriteLine("bench: 6. tensors left alive by the trainer");
        TensorLeakCheck.Run(table);

        if (settings.Scenarios.Contains("writes"))
        {
            Console.WriteLine("bench: 5. metric writes");
            await new MetricWriteScenario(service, table).RunAsync(throughput.WorkerJobs[^1]);
        }
    }

    if (settings.Scenarios.Contains("sequential"))
    {
        Console.WriteLine("bench: 2. pickup latency and 6. memory over 100 jobs");
        await new SequentialJobsScenario(service, table).RunAsync(worker);
    }

    if (settings.Scenarios.Contains("scale-out"))
    {
        Console.WriteLine("bench: 4. scale-out");
        await new ScaleOutScenario(service, table).RunAsync();
    }

    foreach (var running in service.Workers.ToList())
    {
        await service.StopWorkerAsync(running);
    }

    if (settings.Scenarios.Contains("load"))
    {
        Console.WriteLine("bench: 3. submit load");
        service.ReleaseIdleConnections();
        await new SubmitLoadScenario(service, table).RunAsync();
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
