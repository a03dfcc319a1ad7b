using TrainingService.IntegrationTests.Infrastructure;

namespace TrainingService.IntegrationTests.Cli;

/// <summary>trainctl's TLS and API-key options against the API behind a TLS front with a private CA.</summary>
[Collection(ServiceTestGroup.Name)]
public sealed class CliTlsTests(ServiceFixture service) : IDisposable
{
    private readonly CliTestFiles _files = new();

    [Fact]
    public async Task Https_WithPrivateCa_TrustsOnlyThatCa()
    {
        var caFile = _files.PathOf("ca.pem");
        await using var proxy = new TlsProxy(new Uri(service.GrpcUrl), caFile);
        Trainctl.RegisterApiKey(proxy.Url, service.ApiKey);

        var trusted = await Trainctl.RunAsync(proxy.Url, "--ca-cert", caFile, "list");
        var untrusted = await Trainctl.RunAsync(proxy.Url, "list");
        var skipped = await Trainctl.RunAsync(proxy.Url, "--insecure-skip-verify", "list");

        Assert.True(trusted.ExitCode == 0, trusted.ToString());
        Assert.Matches("^(ID|no jobs)", trusted.Output);
        Assert.Equal(3, untrusted.ExitCode);
        Assert.Contains($"cannot open a TLS connection to the training service at {proxy.Url}", untrusted.Error);
        Assert.True(skipped.ExitCode == 0, skipped.ToString());
    }

    [Fact]
    public async Task ApiKey_SentAsHeaderOnEveryCall()
    {
        var caFile = _files.PathOf("ca.pem");
        await using var proxy = new TlsProxy(new Uri(service.GrpcUrl), caFile);

        var result = await Trainctl.RunAsync(proxy.Url, "--ca-cert", caFile, "--api-key", service.ApiKey, "list");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("x-api-key", proxy.ReceivedText);
        Assert.Contains(service.ApiKey, proxy.ReceivedText);
    }

    [Fact]
    public async Task CaCert_UnreadableFile_Exits2()
    {
        var notACertificate = _files.Write("not-a-certificate.pem", "hello");

        var result = await Trainctl.RunAsync("https://127.0.0.1:1", "--ca-cert", notACertificate, "list");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"cannot read CA certificates from {notACertificate}", result.Error);
    }

    public void Dispose() => _files.Dispose();
}
