using Hangfire;
using Microsoft.Extensions.Options;
using TorchSharp;
using TrainingService.Persistence;
using TrainingService.Persistence.Queue;
using TrainingService.Worker;
using TrainingService.Worker.Telemetry;

// Settings files sit beside the binaries, whatever folder the worker is started from.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
var connectionString = builder.Configuration.GetConnectionString(PersistenceSetup.ConnectionStringName);
if (string.IsNullOrWhiteSpace(connectionString))
{
    Console.Error.WriteLine("The worker needs a PostgreSQL connection string: set ConnectionStrings__Training, " +
        "for example 'Host=127.0.0.1;Port=5432;Username=postgres;Database=training'.");
    return 2;
}

builder.Services.AddOptions<WorkerOptions>()
    .Bind(builder.Configuration.GetSection(WorkerOptions.SectionName))
    .ValidateDataAnnotations()
    .ValidateOnStart();

builder.Services.AddTrainingPersistence(connectionString);
builder.AddWorkerTelemetry();
builder.Services.AddScoped<ITrainingJobRunner, TrainingJobRunner>();
var invisibilityTimeout = builder.Configuration.GetValue("Queue:InvisibilityTimeout", QueueSetup.DefaultInvisibilityTimeout);
if (invisibilityTimeout < TimeSpan.FromSeconds(2))
{
    Console.Error.WriteLine($"Queue:InvisibilityTimeout is {invisibilityTimeout}; it must be at least 00:00:02.");
    return 2;
}

builder.Services.AddHangfire((services, configuration) => configuration
    .UseTrainingQueue(connectionString, invisibilityTimeout)
    .UseFilter(services.GetRequiredService<TraceContextServerFilter>()));
builder.Services.AddHangfireServer((services, server) =>
{
    var options = services.GetRequiredService<IOptions<WorkerOptions>>().Value;
    server.Queues = [QueueSetup.TrainingQueue];
    server.WorkerCount = options.Concurrency;
    server.ServerName = $"{Environment.MachineName}:{Environment.ProcessId}";
});

using var host = builder.Build();
WorkerOptions workerOptions;
try
{
    workerOptions = host.Services.GetRequiredService<IOptions<WorkerOptions>>().Value;
}
catch (OptionsValidationException invalid)
{
    Console.Error.WriteLine($"The worker's settings are invalid: {string.Join(" ", invalid.Failures)}");
    return 2;
}

if (workerOptions.ApplyMigrations)
{
    await PersistenceSetup.MigrateAsync(connectionString, CancellationToken.None);
}

var threads = workerOptions.TorchThreads > 0 ? workerOptions.TorchThreads : Environment.ProcessorCount;
torch.set_num_threads(threads);
host.Services.GetRequiredService<ILogger<TrainingJobRunner>>().WorkerReady(workerOptions.Concurrency, threads, QueueSetup.TrainingQueue);

await host.RunAsync();
return 0;
