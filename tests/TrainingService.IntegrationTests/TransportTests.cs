using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Reflection.V1Alpha;
using Training.V1;
using TrainingService.IntegrationTests.Infrastructure;

namespace TrainingService.IntegrationTests;

[Collection(ServiceTestGroup.Name)]
public class ReflectionTests(ServiceFixture service)
{
    [Fact]
    public async Task Reflection_WithKey_ListsTrainingService()
    {
        var services = await ListServicesAsync(service.ApiKey);

        Assert.Contains("training.v1.TrainingService", services);
        Assert.Contains("grpc.health.v1.Health", services);
    }

    [Fact]
    public async Task Reflection_WithoutKey_Unauthenticated()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => ListServicesAsync(apiKey: null));

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }

    private async Task<List<string>> ListServicesAsync(string? apiKey)
    {
        var client = new ServerReflection.ServerReflectionClient(service.Channel);
        var headers = apiKey is null ? new Metadata() : new Metadata { { "x-api-key", apiKey } };
        using var call = client.ServerReflectionInfo(headers);

        try
        {
            await call.RequestStream.WriteAsync(new ServerReflectionRequest { ListServices = "" });
            await call.RequestStream.CompleteAsync();
        }
        catch (RpcException)
        {
            // A server that rejects the call may end it before the request is written; the response has the status.
        }

        Assert.True(await call.ResponseStream.MoveNext());
        return [.. call.ResponseStream.Current.ListServicesResponse.Service.Select(s => s.Name)];
    }
}

/// <summary>The API serving gRPC over TLS with a certificate from PEM files.</summary>
public class TlsTests
{
    [Fact]
    public async Task Api_WithCertificate_ServesGrpcOverTls()
    {
        await using var database = await TestDatabase.CreateAsync();
        var folder = Directory.CreateTempSubdirectory("trainingservice-tls-").FullName;
        var (certificatePath, keyPath) = await CreateCertificateAsync(folder);
        var port = HostProcess.FreePort();
        await using var api = HostProcess.Start("api-tls", RepositoryPaths.HostAssembly("Api", "TrainingService.Api.dll"), new Dictionary<string, string>
        {
            ["ConnectionStrings__Training"] = database.ConnectionString,
            ["TRAINING_GRPC_URL"] = $"https://127.0.0.1:{port}",
            ["TRAINING_HTTP_URL"] = $"http://127.0.0.1:{HostProcess.FreePort()}",
            ["TRAINING_TLS_CERTIFICATE"] = certificatePath,
            ["TRAINING_TLS_KEY"] = keyPath,
            ["Auth__Mode"] = "None",
        });

        using var certificate = X509CertificateLoader.LoadCertificateFromFile(certificatePath);
        using var handler = new HttpClientHandler
        {
            // Trusts exactly the test's self-signed certificate.
            ServerCertificateCustomValidationCallback = (_, presented, _, _) => presented?.Thumbprint == certificate.Thumbprint,
        };
        using var channel = GrpcChannel.ForAddress($"https://127.0.0.1:{port}", new GrpcChannelOptions { HttpHandler = handler });
        var client = new Training.V1.TrainingService.TrainingServiceClient(channel);

        var page = await RetryUntilListeningAsync(() => client.ListJobsAsync(new ListJobsRequest()).ResponseAsync, api);

        Assert.Empty(page.Jobs);
        Directory.Delete(folder, recursive: true);
    }

    private static async Task<ListJobsResponse> RetryUntilListeningAsync(Func<Task<ListJobsResponse>> call, HostProcess api)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                return await call();
            }
            catch (RpcException error) when (error.StatusCode == StatusCode.Unavailable && DateTime.UtcNow < deadline && !api.HasExited)
            {
                await Task.Delay(300);
            }
            catch (RpcException error) when (error.StatusCode == StatusCode.Unavailable)
            {
                throw new TimeoutException($"The TLS API did not answer.\n{api.Output}", error);
            }
        }
    }

    private static async Task<(string Certificate, string Key)> CreateCertificateAsync(string folder)
    {
        var certificate = Path.Combine(folder, "cert.pem");
        var key = Path.Combine(folder, "key.pem");
        var startInfo = new ProcessStartInfo("openssl") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in new[] { "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                     "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", certificate })
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var openssl = Process.Start(startInfo)!;
        var error = await openssl.StandardError.ReadToEndAsync();
        await openssl.WaitForExitAsync();
        return openssl.ExitCode == 0 ? (certificate, key) : throw new InvalidOperationException($"openssl failed: {error}");
    }
}
