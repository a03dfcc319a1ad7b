using Grpc.Net.Client;
using TrainingGrpc = Training.V1.TrainingService;

namespace TrainingService.Cli;

/// <summary>A gRPC channel to the training service and the client on it, disposed with the command.</summary>
internal sealed class ServerConnection : IDisposable
{
    /// <summary>How long a unary call may take, so a stuck server ends trainctl with exit 3 instead of a hang.</summary>
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    private readonly GrpcChannel _channel;

    private ServerConnection(Uri address, GrpcChannel channel)
    {
        Address = address;
        _channel = channel;
        Client = new TrainingGrpc.TrainingServiceClient(channel);
    }

    public Uri Address { get; }

    public TrainingGrpc.TrainingServiceClient Client { get; }

    /// <summary>The deadline for one unary call started now.</summary>
    public static DateTime UnaryDeadline => DateTime.UtcNow + CallTimeout;

    public static ServerConnection Open(Uri address)
    {
        // Keep-alive pings let a watch notice a connection that died silently, so it can reconnect
        // instead of waiting for events that will never come.
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = ConnectTimeout,
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            EnableMultipleHttp2Connections = true,
        };

        var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
        return new ServerConnection(address, channel);
    }

    public void Dispose() => _channel.Dispose();
}
