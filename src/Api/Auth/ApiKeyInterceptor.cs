using Grpc.Core;
using Grpc.Core.Interceptors;

namespace TrainingService.Api.Auth;

/// <summary>
/// Requires a valid API key in the x-api-key metadata header on every call except gRPC health checks, and
/// records the key's id for the service to scope jobs by.
/// </summary>
internal sealed class ApiKeyInterceptor(ApiKeyAuthenticator authenticator) : Interceptor
{
    private const string HealthService = "/grpc.health.v1.Health/";
    private const string KeyIdItem = "training.api_key_id";

    /// <summary>The calling key's id, or null when the API runs without keys.</summary>
    public static Guid? CallerKeyId(ServerCallContext context) =>
        context.GetHttpContext().Items.TryGetValue(KeyIdItem, out var id) ? (Guid?)id : null;

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        await AuthenticateAsync(context);
        return await continuation(request, context);
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await AuthenticateAsync(context);
        await continuation(request, responseStream, context);
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await AuthenticateAsync(context);
        return await continuation(requestStream, context);
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        await AuthenticateAsync(context);
        await continuation(requestStream, responseStream, context);
    }

    private async Task AuthenticateAsync(ServerCallContext context)
    {
        if (!authenticator.Enabled || context.Method.StartsWith(HealthService, StringComparison.Ordinal))
        {
            return;
        }

        var key = context.RequestHeaders.GetValue(ApiKeyAuthenticator.HeaderName);
        if (string.IsNullOrEmpty(key))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated,
                $"This call needs an API key in the '{ApiKeyAuthenticator.HeaderName}' metadata header (trainctl: --api-key or TRAINING_API_KEY); an operator creates one with 'TrainingService.Api keys create NAME'."));
        }

        var caller = await authenticator.AuthenticateAsync(key, context.CancellationToken)
            ?? throw new RpcException(new Status(StatusCode.Unauthenticated, "The API key is unknown or revoked; check --api-key or TRAINING_API_KEY."));
        context.GetHttpContext().Items[KeyIdItem] = caller.KeyId;
    }
}
