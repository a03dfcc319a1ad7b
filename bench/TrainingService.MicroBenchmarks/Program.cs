using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Exporters.Json;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

// In-process, so no project is generated and built per benchmark. A short job keeps the whole set near a
// minute and a half on two cores. Pass BenchmarkDotNet's own options, such as --filter or --artifacts.
var job = Job.Default
    .WithToolchain(InProcessEmitToolchain.Instance)
    .WithWarmupCount(2)
    .WithIterationCount(15)
    .WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(250));

var config = DefaultConfig.Instance
    .AddJob(job)
    .AddExporter(JsonExporter.Full)
    .WithOptions(ConfigOptions.JoinSummary);

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, config);
