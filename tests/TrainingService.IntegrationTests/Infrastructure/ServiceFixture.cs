using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Microsoft.EntityFrameworkCore;
using Training.V1;
using TrainingService.Persistence;
using TrainingGrpc = Training.V1.TrainingService;

namespace TrainingService.IntegrationTests.Infrastructure;

/// <summary>
/// The whole service for end-to-end tests: a fresh database, the API and one worker as separate processes,
/// and a gRPC client on a real HTTP/2 channel to the API.
/// </summary>
public partial class ServiceFixture : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly List<HostProcess> _workers = [];
    private readonly IReadOnlyDictionary<string, string>? _firstWorkerSettings;
    private TestDatabase? _database;
    private GrpcChannel? _channel;

    public ServiceFixture()
    {
    }

    /// <summary>Starts the first worker with extra environment settings. Internal, because xUnit needs one public constructor.</summary>
    internal ServiceFixture(IReadOnlyDictionary<string, string> firstWorkerSettings) => _firstWorkerSettings = firstWorkerSettings;

    public HostProcess Api { get; private set; } = null!;

    public IReadOnlyList<HostProcess> Workers => _workers;

    public string GrpcUrl { get; private set; } = "";

    public string HttpUrl { get; private set; } = "";

    public string ConnectionString => _database!.ConnectionString;

    /// <summary>A client that sends <see cref="ApiKey"/> on every call.</summary>
    public TrainingGrpc.TrainingServiceClient Client { get; private set; } = null!;

    /// <summary>The API key the fixture created for its client.</summary>
    public string ApiKey { get; private set; } = "";

    public GrpcChannel Channel => _channel!;

    /// <summary>The server the fixture's database lives on; null means the one TRAINING_TEST_POSTGRES names.</summary>
    protected virtual string? ServerConnectionString => null;

    public virtual async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync(ServerConnectionString);
        GrpcUrl = $"http://127.0.0.1:{HostProcess.FreePort()}";
        HttpUrl = $"http://127.0.0.1:{HostProcess.FreePort()}";

        Api = StartApi();
        await WaitUntilHealthyAsync();
        StartWorker(_firstWorkerSettings);

        _channel = GrpcChannel.ForAddress(GrpcUrl);
        ApiKey = await CreateApiKeyAsync("tests");
        Client = ClientWithKey(ApiKey);
        Cli.Trainctl.RegisterApiKey(GrpcUrl, ApiKey);
    }

    /// <summary>Settings every worker of this fixture starts with, as environment variables.</summary>
    protected virtual IReadOnlyDictionary<string, string> WorkerSettings { get; } = new Dictionary<string, string>();

    private HostProcess StartApi() =>
        HostProcess.Start("api", RepositoryPaths.HostAssembly("Api", "TrainingService.Api.dll"), new Dictionary<string, string>
        {
            ["ConnectionStrings__Training"] = ConnectionString,
            ["TRAINING_GRPC_URL"] = GrpcUrl,
            ["TRAINING_HTTP_URL"] = HttpUrl,
            ["Queue__SweepAfter"] = "00:00:03",
            ["Queue__SweepInterval"] = "00:00:00.500",
        });

    public HostProcess StartWorker(IReadOnlyDictionary<string, string>? settings = null)
    {
        // Test classes run in parallel, each with its own workers. libtorch's OpenMP threads spin while they
        // wait, so several workers with a thread per core each slow one another by orders of magnitude on a
        // small machine. One thread each keeps them fair.
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__Training"] = ConnectionString,
            ["Worker__TorchThreads"] = "1",

            // Test jobs are short; a sampled step event every 100 ms gives each of their epochs some.
            ["Worker__StepEventInterval"] = "00:00:00.100",
        };
        foreach (var (key, value) in WorkerSettings.Concat(settings ?? new Dictionary<string, string>()))
        {
            environment[key] = value;
        }

        var worker = HostProcess.Start($"worker{_workers.Count}", RepositoryPaths.HostAssembly("Worker", "TrainingService.Worker.dll"), environment);
        _workers.Add(worker);
        return worker;
    }

    /// <summary>A client on the fixture's channel that sends <paramref name="apiKey"/>, or no key when it is null.</summary>
    public TrainingGrpc.TrainingServiceClient ClientWithKey(string? apiKey) =>
        apiKey is null
            ? new TrainingGrpc.TrainingServiceClient(_channel)
            : new TrainingGrpc.TrainingServiceClient(_channel!.Intercept(metadata =>
            {
                metadata.Add("x-api-key", apiKey);
                return metadata;
            }));

    /// <summary>Creates a key with the API binary's own command, as an operator would, and returns it.</summary>
    public async Task<string> CreateApiKeyAsync(string name, bool admin = false)
    {
        string[] arguments = admin ? ["keys", "create", name, "--admin"] : ["keys", "create", name];
        await using var command = HostProcess.Start("keys", RepositoryPaths.HostAssembly("Api", "TrainingService.Api.dll"),
            new Dictionary<string, string> { ["ConnectionStrings__Training"] = ConnectionString }, arguments);
        var exitCode = await command.WaitForExitAsync(TimeSpan.FromSeconds(60));
        var key = command.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(line => line.StartsWith("tsk_", StringComparison.Ordinal));
        return exitCode == 0 && key is not null ? key.Trim() : throw new InvalidOperationException($"keys create exited {exitCode}:\n{command.Output}");
    }

    public TrainingDbContext CreateDbContext()
    {
        var options = new DbContextOptionsBuilder<TrainingDbContext>();
        PersistenceSetup.Configure(options, ConnectionString);
        return new TrainingDbContext(options.Options);
    }

    /// <summary>Submits a spec and returns the queued job.</summary>
    public async Task<Job> SubmitAsync(JobSpec spec) => await Client.SubmitJobAsync(new SubmitJobRequest { Spec = spec });

    /// <summary>Watches a job from its first event to the stream's end, failing the test if that takes too long.</summary>
    public async Task<List<JobEvent>> WatchToEndAsync(string jobId, long afterSequence = 0, TimeSpan? timeout = null)
    {
        using var cancellation = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(3));
        using var call = Client.WatchJob(new WatchJobRequest { JobId = jobId, AfterSequence = afterSequence }, cancellationToken: cancellation.Token);
        var events = new List<JobEvent>();

        try
        {
            await foreach (var jobEvent in call.ResponseStream.ReadAllAsync(cancellation.Token))
            {
                events.Add(jobEvent);
            }
        }
        catch (RpcException error) when (error.StatusCode == StatusCode.Cancelled)
        {
            throw new TimeoutException($"Job {jobId} did not end in time. Last events: {string.Join(", ", events.TakeLast(3))}\n{Diagnostics()}");
        }

        return events;
    }

    /// <summary>The tail of every host's output, for assertion messages.</summary>
    public string Diagnostics() =>
        string.Join("\n", new[] { Api }.Concat(_workers).Select(host => $"--- {host.Name} (exited: {host.HasExited}) ---\n{Tail(host.Output)}"));

    /// <summary>Waits until the job reaches a condition, failing with the hosts' output if it does not within three minutes.</summary>
    public async Task<Job> WaitForAsync(string jobId, Func<Job, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (DateTime.UtcNow < deadline)
        {
            var job = await Client.GetJobAsync(new GetJobRequest { JobId = jobId });
            if (condition(job))
            {
                return job;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"Job {jobId} did not reach: {what}.\n{Diagnostics()}");
    }

    public virtual async Task DisposeAsync()
    {
        _channel?.Dispose();

        foreach (var worker in _workers)
        {
            await worker.DisposeAsync();
        }

        if (Api is not null)
        {
            await Api.DisposeAsync();
        }

        if (_database is not null)
        {
            await _database.DisposeAsync();
        }
    }

    private async Task WaitUntilHealthyAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + StartTimeout;

        while (DateTime.UtcNow < deadline)
        {
            if (Api.HasExited)
            {
                throw new InvalidOperationException($"The API exited during start.\n{Diagnostics()}");
            }

            try
            {
                using var response = await http.GetAsync($"{HttpUrl}/healthz");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // No response yet.
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"The API did not become healthy within {StartTimeout}.\n{Diagnostics()}");
    }

    private static string Tail(string output) => output.Length <= 4000 ? output : output[^4000..];
}

[CollectionDefinition(Name)]
public sealed class ServiceTestGroup : ICollectionFixture<ServiceFixture>
{
    public const string Name = "service";
}
