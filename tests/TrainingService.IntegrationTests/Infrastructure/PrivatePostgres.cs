using System.Diagnostics;
using System.Globalization;

namespace TrainingService.IntegrationTests.Infrastructure;

/// <summary>
/// A PostgreSQL server of the test's own, which the test may stop and start again on the same port to cut
/// the service off from its database. Started through scripts/postgres.sh, as the postgres user when root.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private const string BinDirectory = "/usr/lib/postgresql/15/bin";

    private readonly string _folder;
    private readonly string _dataDirectory;

    private PrivatePostgres(string folder, int port)
    {
        _folder = folder;
        _dataDirectory = Path.Combine(folder, "data");
        Port = port;
    }

    public int Port { get; }

    public string ServerConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Timeout=5;Command Timeout=10";

    public static async Task<PrivatePostgres> StartAsync()
    {
        var folder = Directory.CreateTempSubdirectory("trainingservice-pg-").FullName;
        if (Environment.UserName == "root")
        {
            await RunAsync("chown", "postgres:postgres", folder);
        }

        var output = await RunAsync("bash", Path.Combine(RepositoryPaths.Root, "scripts", "postgres.sh"), "start", Path.Combine(folder, "data"));
        return new PrivatePostgres(folder, int.Parse(output.Trim().Split('\n')[^1], CultureInfo.InvariantCulture));
    }

    /// <summary>Stops the server with a fast shutdown, which drops every connection.</summary>
    public Task StopAsync() => RunAsOwnerAsync(Path.Combine(BinDirectory, "pg_ctl"), "-D", _dataDirectory, "-m", "fast", "-w", "stop");

    /// <summary>Starts the stopped server again on the port it had.</summary>
    public Task StartAgainAsync() => RunAsOwnerAsync(Path.Combine(BinDirectory, "pg_ctl"), "-D", _dataDirectory, "-l", Path.Combine(_dataDirectory, "server.log"), "-w",
        "-o", $"-c listen_addresses=127.0.0.1 -c port={Port} -c unix_socket_directories=''", "start");

    public async ValueTask DisposeAsync()
    {
        await RunAsync("bash", Path.Combine(RepositoryPaths.Root, "scripts", "postgres.sh"), "stop", _dataDirectory);
        Directory.Delete(_folder, recursive: true);
    }

    private static Task<string> RunAsOwnerAsync(params string[] command) =>
        Environment.UserName == "root" ? RunAsync("runuser", ["-u", "postgres", "--", .. command]) : RunAsync(command[0], command[1..]);

    private static async Task<string> RunAsync(string program, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        return process.ExitCode == 0
            ? await output
            : throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} exited {process.ExitCode}: {await error}");
    }
}
