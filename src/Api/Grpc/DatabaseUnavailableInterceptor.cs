using Grpc.Core;
using Grpc.Core.Interceptors;
using TrainingService.Persistence;

namespace TrainingService.Api.Grpc;

/// <summary>
/// Returns UNAVAILABLE, which clients retry, when a call fails because PostgreSQL is out of reach, instead
/// of the INTERNAL status an unhandled exception would give. The connection pool reconnects by itself once the
/// database is back.
/// </summary>
internal sealed class DatabaseUnavailableInterceptor(ILogger<DatabaseUnavailableInterceptor> logger) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (Exception exception) when (DatabaseErrors.IsTransient(exception))
        {
            throw Unavailable(exception, context);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (Exception exception) when (DatabaseErrors.IsTransient(exception))
        {
            throw Unavailable(exception, context);
        }
    }

    private RpcException Unavailable(Exception exception, ServerCallContext context)
    {
        logger.DatabaseUnavailable(exception, context.Method);
        return RpcErrors.Unavailable("The job database is unavailable; retry the call shortly.");
    }
}
