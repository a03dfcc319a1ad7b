using System.Diagnostics;
using System.Text;
using TrainingService.IntegrationTests.Infrastructure;

namespace TrainingService.IntegrationTests.Cli;

/// <summary>What a finished trainctl process printed and how it exited.</summary>
public sealed record CliResult(int ExitCode, string Output, string Error)
{
    public string[] OutputLines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The exit code and both streams, for assertion messages.</summary>
    public override string ToString() => $"exit code {ExitCode}\n--- stdout ---\n{Output}\n--- stderr ---\n{Error}";
}

/// <summary>
/// trainctl run as its own process from the build output, as a user runs it, in the repository root so that relative
/// paths such as examples/line-fit.yaml work. TRAINING_SERVER and TRAINING_API_KEY are removed from its environment
/// so that only the arguments choose the server.
/// </summary>
public sealed class Trainctl : IAsyncDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(3);
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> ApiKeys = new(StringComparer.Ordinal);

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly StringBuilder _error = new();
    private readonly Task _readers;

    // The streams are read as raw characters, not with the line events, which would swallow the carriage returns
    // that a progress bar redraws its line with.
    private Trainctl(Process process)
    {
        _process = process;
        _readers = Task.WhenAll(CopyAsync(process.StandardOutput, _output), CopyAsync(process.StandardError, _error));
    }

    public string Output => Read(_output);

    /// <summary>
    /// Makes every later run against <paramref name="server"/> send <paramref name="apiKey"/> through TRAINING_API_KEY,
    /// unless the run sets its own key. Each fixture's API has keys of its own, so keys are kept per server.
    /// </summary>
    public static void RegisterApiKey(string server, string apiKey) => ApiKeys[server] = apiKey;

    public static Trainctl Start(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        arguments = arguments.ToList();
        var startInfo = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryPaths.Root,
        };
        startInfo.ArgumentList.Add(RepositoryPaths.HostAssembly("Cli", "trainctl.dll"));
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment.Remove("TRAINING_SERVER");
        startInfo.Environment.Remove("TRAINING_API_KEY");
        if (RegisteredKey(arguments.ToList()) is { } apiKey)
        {
            startInfo.Environment["TRAINING_API_KEY"] = apiKey;
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[key] = value;
        }

        return new Trainctl(Process.Start(startInfo)!);
    }

    private static string? RegisteredKey(List<string> arguments)
    {
        var server = arguments.IndexOf("--server") is var index and >= 0 && index + 1 < arguments.Count ? arguments[index + 1] : null;
        return server is not null && !arguments.Contains("--api-key") && ApiKeys.TryGetValue(server, out var key) ? key : null;
    }

    /// <summary>Runs trainctl with <c>--server</c> set to <paramref name="server"/> and waits for it to exit.</summary>
    public static async Task<CliResult> RunAsync(string server, params string[] arguments)
    {
        await using var process = Start(["--server", server, .. arguments]);
        return await process.WaitAsync();
    }

    /// <summary>Waits for the process to exit; throws TimeoutException with its output so far if it does not in time.</summary>
    public async Task<CliResult> WaitAsync(TimeSpan? timeout = null)
    {
        using var cancellation = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            await _process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"trainctl did not exit in time.\n{Snapshot(-1)}");
        }

        // The exit can come before the last output is read.
        await _readers;
        return Snapshot(_process.ExitCode);
    }

    /// <summary>Waits until standard output contains a line that matches <paramref name="match"/>.</summary>
    public async Task WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Output.Split('\n').Any(line => match(line.Trim())))
        {
            if (_process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"trainctl printed no expected line in time.\n{Snapshot(-1)}");
            }

            await Task.Delay(100);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        await _readers;
        _process.Dispose();
    }

    private CliResult Snapshot(int exitCode) => new(exitCode, Read(_output), Read(_error));

    private static async Task CopyAsync(StreamReader reader, StringBuilder buffer)
    {
        var chunk = new char[4096];
        int count;
        while ((count = await reader.ReadAsync(chunk)) > 0)
        {
            lock (buffer)
            {
                buffer.Append(chunk, 0, count);
            }
        }
    }

    private static string Read(StringBuilder buffer)
    {
        lock (buffer)
        {
            return buffer.ToString();
        }
    }
}
