using System.CommandLine;
using Grpc.Core;

namespace TrainingService.Cli;

/// <summary>Runs one command against the server and turns failed calls and interrupts into exit codes.</summary>
internal static class CommandRunner
{
    /// <param name="result">The parsed command line, for the server, TLS and API key options.</param>
    /// <param name="jobId">The job that a NOT_FOUND message names, or null when the command has no job id yet.</param>
    /// <param name="run">The command's calls, which return the exit code.</param>
    /// <param name="cancellationToken">Cancelled on Ctrl+C or SIGTERM.</param>
    public static async Task<int> RunAsync(
        ParseResult result,
        string? jobId,
        Func<ServerConnection, Task<int>> run,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);

        if (!ServerOptions.TryResolve(result, out var settings, out var error))
        {
            await Console.Error.WriteLineAsync(error);
            return ExitCodes.InvalidRequest;
        }

        using var connection = ServerConnection.Open(settings);
        try
        {
            return await run(connection);
        }
        catch (Exception exception) when (cancellationToken.IsCancellationRequested
            && exception is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
        {
            return ExitCodes.Interrupted;
        }
        catch (RpcException exception)
        {
            return RpcFailures.Report(exception, settings.Address, jobId);
        }
    }
}
