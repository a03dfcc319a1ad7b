using Grpc.Core;
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
public sealed partial class ServiceFixture : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly List<HostProcess> _workers = [];
    private TestDatabase? _database;
    private GrpcChannel? _channel;

    public HostProcess Api { get; private set; } = null!;

    public IReadOnlyList<HostProcess> Workers => _workers;

    public string GrpcUrl { get; private set; } = "";

    public string HttpUrl { get; private set; } = "";

    public string ConnectionString => _database!.ConnectionString;

    public TrainingGrpc.TrainingServiceClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync();
        GrpcUrl = $"http://127.0.0.1:{HostProcess.FreePort()}";
        HttpUrl = $"http://127.0.0.1:{HostProcess.FreePort()}";

        Api = StartApi();
        await WaitUntilHealthyAsync();
        StartWorker();

        _channel = GrpcChannel.ForAddress(GrpcUrl);
        Client = new TrainingGrpc.TrainingServiceClient(_channel);
    }

    private HostProcess StartApi() =>
        HostProcess.Start("api", RepositoryPaths.HostAssembly("Api", "TrainingService.Api.dll"), new Dictionary<string, string>
        {
            ["ConnectionStrings__Training"] = ConnectionString,
            ["TRAINING_GRPC_URL"] = GrpcUrl,
            ["TRAINING_HTTP_URL"] = HttpUrl,
        });

    public HostProcess StartWorker(IReadOnlyDictionary<string, string>? settings = null)
    {
        var environment = new Dictionary<string, string> { ["ConnectionStrings__Training"] = ConnectionString };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        var worker = HostProcess.Start($"worker{_workers.Count}", RepositoryPaths.HostAssembly("Worker", "TrainingService.Worker.dll"), environment);
        _workers.Add(worker);
        return worker;
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

    public async Task DisposeAsync()
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
                // Not answering yet.
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
