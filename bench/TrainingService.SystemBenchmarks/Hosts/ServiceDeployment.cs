using System.Diagnostics;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using Npgsql;
using TrainingGrpc = Training.V1.TrainingService;

namespace TrainingService.SystemBenchmarks.Hosts;

/// <summary>
/// The service as the benchmarks drive it: a fresh database on the given PostgreSQL server and the API as a
/// process on free ports of 127.0.0.1. Workers start and stop on demand. The runner calls with an API key of
/// its own and reads what the service stored through a direct connection to the database.
/// </summary>
internal sealed class ServiceDeployment : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    private readonly BenchmarkSettings _settings;
    private readonly List<HostProcess> _workers = [];
    private readonly List<GrpcChannel> _channels = [];
    private int _workersStarted;

    private ServiceDeployment(BenchmarkSettings settings, string connectionString, NpgsqlDataSource database)
    {
        _settings = settings;
        ConnectionString = connectionString;
        Database = database;
    }

    public string ConnectionString { get; }

    /// <summary>Reads the tables the service writes; the benchmarks never write through it.</summary>
    public NpgsqlDataSource Database { get; }

    public HostProcess Api { get; private set; } = null!;

    public string GrpcUrl { get; private set; } = "";

    public string HttpUrl { get; private set; } = "";

    public string ApiKey { get; private set; } = "";

    /// <summary>A client on the deployment's first channel.</summary>
    public TrainingGrpc.TrainingServiceClient Client { get; private set; } = null!;

    public IReadOnlyList<HostProcess> Workers => _workers;

    public static async Task<ServiceDeployment> StartAsync(BenchmarkSettings settings)
    {
        var databaseName = $"bench_{DateTime.UtcNow:yyyyMMdd_HHmmss}";
        await using (var server = NpgsqlDataSource.Create(settings.ServerConnectionString))
        await using (var create = server.CreateCommand($"CREATE DATABASE {databaseName}"))
        {
            await create.ExecuteNonQueryAsync();
        }

        var connectionString = new NpgsqlConnectionStringBuilder(settings.ServerConnectionString) { Database = databaseName }.ConnectionString;

        // A few connections for the runner's reads, so that the hosts keep the server's connection slots.
        var readerConnectionString = new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = 4 }.ConnectionString;
        var deployment = new ServiceDeployment(settings, connectionString, NpgsqlDataSource.Create(readerConnectionString));

        try
        {
            await deployment.StartApiAsync();
            return deployment;
        }
        catch
        {
            await deployment.DisposeAsync();
            throw;
        }
    }

    /// <summary>Opens a new HTTP/2 channel to the API; the deployment disposes it.</summary>
    public GrpcChannel OpenChannel()
    {
        var channel = GrpcChannel.ForAddress(GrpcUrl);
        _channels.Add(channel);
        return channel;
    }

    /// <summary>A client on <paramref name="channel"/> that sends the deployment's API key with every call.</summary>
    public TrainingGrpc.TrainingServiceClient ClientOn(GrpcChannel channel) =>
        new(channel.Intercept(metadata =>
        {
            metadata.Add("x-api-key", ApiKey);
            return metadata;
        }));

    /// <summary>Starts a worker and waits until its Hangfire server has registered, so that it takes the next job.</summary>
    public async Task<HostProcess> StartWorkerAsync(IReadOnlyDictionary<string, string>? settings = null)
    {
        var environment = new Dictionary<string, string> { ["ConnectionStrings__Training"] = ConnectionString };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        var registeredBefore = await CountHangfireServersAsync();
        var worker = HostProcess.Start($"worker{_workersStarted++}", _settings.WorkerAssembly, environment, _settings.LogDirectory, _settings.PidFile);
        _workers.Add(worker);

        var clock = Stopwatch.StartNew();
        while (await CountHangfireServersAsync() <= registeredBefore)
        {
            if (worker.HasExited || clock.Elapsed > StartTimeout)
            {
                throw new InvalidOperationException($"{worker.Name} did not register with Hangfire within {StartTimeout.TotalSeconds} s; the end of {worker.LogPath}:\n{worker.Tail()}");
            }

            await Task.Delay(100);
        }

        return worker;
    }

    /// <summary>Stops a worker gracefully; Hangfire removes its server record as it shuts down.</summary>
    public async Task StopWorkerAsync(HostProcess worker)
    {
        await worker.StopAsync(StopTimeout);
        _workers.Remove(worker);
        await worker.DisposeAsync();
    }

    /// <summary>Closes the runner's idle database connections, so that all of PostgreSQL's connection slots are left to the hosts.</summary>
    public void ReleaseIdleConnections() => Database.Clear();

    /// <summary>Waits until the job has a final state and returns that state's name, such as Succeeded.</summary>
    public async Task<string> WaitForFinishAsync(Guid jobId, TimeSpan timeout, TimeSpan pollInterval)
    {
        var clock = Stopwatch.StartNew();

        while (clock.Elapsed < timeout)
        {
            await using var command = Database.CreateCommand("SELECT state FROM jobs WHERE id = $1");
            command.Parameters.AddWithValue(jobId);
            var state = (string?)await command.ExecuteScalarAsync();

            if (state is "Succeeded" or "Failed" or "Cancelled")
            {
                return state;
            }

            await Task.Delay(pollInterval);
        }

        throw new TimeoutException($"Job {jobId} did not finish within {timeout.TotalSeconds} s.\n{Diagnostics()}");
    }

    /// <summary>The end of every host's log, for error messages.</summary>
    public string Diagnostics() =>
        string.Join('\n', new[] { Api }.Concat(_workers).Select(host => $"--- {host.Name} ({host.LogPath}, exited: {host.HasExited}) ---\n{host.Tail()}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }

        foreach (var worker in _workers)
        {
            await worker.StopAsync(StopTimeout);
            await worker.DisposeAsync();
        }

        if (Api is not null)
        {
            await Api.StopAsync(StopTimeout);
            await Api.DisposeAsync();
        }

        await Database.DisposeAsync();
    }

    private async Task StartApiAsync()
    {
        var environment = new Dictionary<string, string> { ["ConnectionStrings__Training"] = ConnectionString };
        await RunToEndAsync("migrate", environment, "--migrate");
        ApiKey = (await RunToEndAsync("keys", environment, "keys", "create", "bench")).Split('\n').Single(line => line.StartsWith("tsk_", StringComparison.Ordinal)).Trim();

        GrpcUrl = $"http://127.0.0.1:{HostProcess.FreePort()}";
        HttpUrl = $"http://127.0.0.1:{HostProcess.FreePort()}";
        environment["TRAINING_GRPC_URL"] = GrpcUrl;
        environment["TRAINING_HTTP_URL"] = HttpUrl;
        environment["Api__ApplyMigrations"] = "false";
        Api = HostProcess.Start("api", _settings.ApiAssembly, environment, _settings.LogDirectory, _settings.PidFile);

        await WaitUntilHealthyAsync();
        Client = ClientOn(OpenChannel());
    }

    /// <summary>Runs the API binary with a command such as --migrate and returns its log.</summary>
    private async Task<string> RunToEndAsync(string name, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        await using var command = HostProcess.Start(name, _settings.ApiAssembly, environment, _settings.LogDirectory, _settings.PidFile, arguments);
        var exitCode = await command.WaitForExitAsync(StartTimeout);
        var output = command.Tail(200);
        return exitCode == 0 ? output : throw new InvalidOperationException($"{name} exited {exitCode}:\n{output}");
    }

    public async Task<bool> IsHealthyAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };

        try
        {
            using var response = await http.GetAsync(new Uri($"{HttpUrl}/healthz"));
            return response.IsSuccessStatusCode;
        }
        catch (Exception error) when (error is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    private async Task WaitUntilHealthyAsync()
    {
        var clock = Stopwatch.StartNew();

        while (clock.Elapsed < StartTimeout)
        {
            if (Api.HasExited)
            {
                throw new InvalidOperationException($"The API exited during start; the end of {Api.LogPath}:\n{Api.Tail()}");
            }

            if (await IsHealthyAsync())
            {
                return;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"The API did not become healthy within {StartTimeout.TotalSeconds} s; the end of {Api.LogPath}:\n{Api.Tail()}");
    }

    private async Task<long> CountHangfireServersAsync()
    {
        await using var command = Database.CreateCommand("SELECT count(*) FROM hangfire.server");

        try
        {
            return (long)(await command.ExecuteScalarAsync())!;
        }
        catch (PostgresException error) when (error.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            // Hangfire creates its schema when the first host uses the storage, which may not have happened yet.
            return 0;
        }
    }
}
