using Google.Rpc;
using Grpc.Core;

namespace TrainingService.Cli;

/// <summary>Prints a failed call in words a person can act on and picks the exit code for it.</summary>
internal static class RpcFailures
{
    public static int Report(RpcException exception, Uri server, string? jobId)
    {
        ArgumentNullException.ThrowIfNull(exception);

        if (TlsFailure(exception) is { } tls)
        {
            Console.Error.WriteLine($"cannot open a TLS connection to the training service at {server.OriginalString}: {tls.Message}");
            Console.Error.WriteLine("check that the server serves https:// on that port, and trust its CA with --ca-cert");
            return ExitCodes.ServerUnreachable;
        }

        switch (exception.StatusCode)
        {
            case StatusCode.InvalidArgument:
                ReportInvalidArgument(exception);
                return ExitCodes.InvalidRequest;

            case StatusCode.NotFound:
                Console.Error.WriteLine(jobId is null ? $"not found: {exception.Status.Detail}" : $"job {jobId} not found");
                return ExitCodes.InvalidRequest;

            case StatusCode.FailedPrecondition:
                // The service's message names the job already in most cases; the id is added only where it does not.
                var detail = exception.Status.Detail;
                Console.Error.WriteLine(jobId is null || detail.Contains(jobId, StringComparison.OrdinalIgnoreCase) ? detail : $"job {jobId}: {detail}");
                return ExitCodes.InvalidRequest;

            case StatusCode.Unavailable:
                Console.Error.WriteLine($"cannot reach the training service at {server.OriginalString}: {Cause(exception)}");
                Console.Error.WriteLine($"check that it is running, or set --server or {ServerOptions.EnvironmentVariable}");
                return ExitCodes.ServerUnreachable;

            case StatusCode.Unauthenticated:
                Console.Error.WriteLine($"the training service at {server.OriginalString} rejected the API key: {exception.Status.Detail}");
                Console.Error.WriteLine($"pass a valid key with --api-key or {ServerOptions.ApiKeyEnvironmentVariable}");
                return ExitCodes.InvalidRequest;

            case StatusCode.DeadlineExceeded:
                Console.Error.WriteLine(
                    $"the training service at {server.OriginalString} did not answer within {ServerConnection.CallTimeout.TotalSeconds:0} s");
                return ExitCodes.ServerUnreachable;

            default:
                Console.Error.WriteLine($"the training service at {server.OriginalString} returned {exception.StatusCode}: {Cause(exception)}");
                return ExitCodes.ServerError;
        }
    }

    private static void ReportInvalidArgument(RpcException exception)
    {
        Console.Error.WriteLine($"invalid request: {exception.Status.Detail}");

        var badRequest = exception.GetRpcStatus()?.GetDetail<BadRequest>();
        if (badRequest is null)
        {
            return;
        }

        foreach (var violation in badRequest.FieldViolations)
        {
            Console.Error.WriteLine($"  {violation.Field}: {violation.Description}");
        }
    }

    // A failed TLS handshake, such as an untrusted certificate or a server without TLS, reaches the client as
    // INTERNAL "Error starting gRPC call" with an AuthenticationException inside.
    private static Exception? TlsFailure(RpcException exception)
    {
        for (var inner = exception.Status.DebugException; inner is not null; inner = inner.InnerException)
        {
            if (inner is System.Security.Authentication.AuthenticationException)
            {
                return inner;
            }
        }

        return null;
    }

    // Grpc.Net.Client 2.85 puts the socket error, such as "Connection refused", in the innermost
    // exception, while the status detail is only "Error connecting to subchannel."
    private static string Cause(RpcException exception)
    {
        var innermost = exception.Status.DebugException;
        while (innermost?.InnerException is not null)
        {
            innermost = innermost.InnerException;
        }

        return innermost is null ? exception.Status.Detail : $"{exception.Status.Detail} {innermost.Message}";
    }
}
