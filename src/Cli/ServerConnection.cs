using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Net.Client;
using TrainingGrpc = Training.V1.TrainingService;

namespace TrainingService.Cli;

/// <summary>A gRPC channel to the training service and the client on it, disposed with the command.</summary>
internal sealed class ServerConnection : IDisposable
{
    /// <summary>How long a unary call may take, so a stuck server ends trainctl with exit 3 instead of a hang.</summary>
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    public const string ApiKeyHeader = "x-api-key";

    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);

    private readonly GrpcChannel _channel;

    private ServerConnection(Uri address, GrpcChannel channel, CallInvoker invoker)
    {
        Address = address;
        _channel = channel;
        Client = new TrainingGrpc.TrainingServiceClient(invoker);
    }

    public Uri Address { get; }

    public TrainingGrpc.TrainingServiceClient Client { get; }

    /// <summary>The deadline for one unary call started now.</summary>
    public static DateTime UnaryDeadline => DateTime.UtcNow + CallTimeout;

    public static ServerConnection Open(ServerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);

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

        if (settings.SkipCertificateCheck)
        {
            // Set only by --insecure-skip-verify, whose help text warns that it allows a man-in-the-middle.
#pragma warning disable CA5359
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
#pragma warning restore CA5359
        }
        else if (settings.TrustedCertificates.Count > 0)
        {
            handler.SslOptions.RemoteCertificateValidationCallback =
                (_, certificate, _, errors) => IsTrusted(certificate, errors, settings.TrustedCertificates);
        }

        var channel = GrpcChannel.ForAddress(settings.Address, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });
        var invoker = settings.ApiKey is { } apiKey
            ? channel.Intercept(metadata =>
            {
                metadata.Add(ApiKeyHeader, apiKey);
                return metadata;
            })
            : channel.CreateCallInvoker();
        return new ServerConnection(settings.Address, channel, invoker);
    }

    public void Dispose() => _channel.Dispose();

    // The chain is built again against the given CAs alone, so a private CA works without installing it system-wide,
    // while a wrong host name or a missing certificate still fails.
    private static bool IsTrusted(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2Collection roots)
    {
        if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }
}
