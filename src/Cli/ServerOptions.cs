using System.CommandLine;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace TrainingService.Cli;

/// <summary>Where the training service is and how to connect to it, resolved from the command line and the environment.</summary>
/// <param name="Address">An absolute http:// or https:// URL; https:// uses TLS.</param>
/// <param name="TrustedCertificates">Certificates that replace the system's roots for an https:// server; empty to use the system's.</param>
/// <param name="SkipCertificateCheck">Whether to accept any server certificate, for development only.</param>
/// <param name="ApiKey">Sent as the x-api-key header of every call, or null to send none.</param>
internal sealed record ServerSettings(
    Uri Address,
    X509Certificate2Collection TrustedCertificates,
    bool SkipCertificateCheck,
    string? ApiKey);

/// <summary>The global connection options and how their values fall back to the environment.</summary>
internal static class ServerOptions
{
    public const string EnvironmentVariable = "TRAINING_SERVER";
    public const string ApiKeyEnvironmentVariable = "TRAINING_API_KEY";
    public const string DefaultAddress = "http://127.0.0.1:5080";

    public static Option<string> Server { get; } = new("--server")
    {
        Description = $"Address of the training service; https:// uses TLS. Defaults to ${EnvironmentVariable}, else {DefaultAddress}.",
        HelpName = "url",
        Recursive = true,
    };

    public static Option<FileInfo> CaCertificate { get; } = new("--ca-cert")
    {
        Description = "PEM or DER file of the CA certificates to trust for an https:// server, in place of the system's.",
        HelpName = "file",
        Recursive = true,
    };

    public static Option<bool> InsecureSkipVerify { get; } = new("--insecure-skip-verify")
    {
        Description = "Accept any certificate from an https:// server. For development only: it allows a man-in-the-middle.",
        Recursive = true,
    };

    public static Option<string> ApiKey { get; } = new("--api-key")
    {
        Description = $"API key sent as the x-api-key header of every call. Defaults to ${ApiKeyEnvironmentVariable}.",
        HelpName = "key",
        Recursive = true,
    };

    public static IEnumerable<Option> All => [Server, CaCertificate, InsecureSkipVerify, ApiKey];

    /// <summary>
    /// Resolves the settings: the address from --server, then the environment variable, then the default, checked to
    /// be an absolute http:// or https:// URL; the TLS options, which need https://; and the API key.
    /// </summary>
    public static bool TryResolve(ParseResult result, out ServerSettings settings, out string error)
    {
        ArgumentNullException.ThrowIfNull(result);

        settings = new ServerSettings(new Uri(DefaultAddress), [], false, null);
        var (value, source) = Read(result, Server, EnvironmentVariable, DefaultAddress);

        if (!Uri.TryCreate(value, UriKind.Absolute, out var address)
            || (address.Scheme != Uri.UriSchemeHttp && address.Scheme != Uri.UriSchemeHttps))
        {
            error = $"invalid server address '{value}' from {source}: expected an http:// or https:// URL such as {DefaultAddress}";
            return false;
        }

        var caFile = result.GetValue(CaCertificate);
        var skipVerify = result.GetValue(InsecureSkipVerify);
        if ((caFile is not null || skipVerify) && address.Scheme != Uri.UriSchemeHttps)
        {
            error = $"--ca-cert and --insecure-skip-verify apply only to https:// servers, but the server address from {source} is {value}";
            return false;
        }

        var trusted = new X509Certificate2Collection();
        if (caFile is not null && !TryLoadCertificates(caFile, trusted, out error))
        {
            return false;
        }

        var (apiKey, _) = Read(result, ApiKey, ApiKeyEnvironmentVariable, fallback: string.Empty);
        settings = new ServerSettings(address, trusted, skipVerify, apiKey.Length > 0 ? apiKey : null);
        error = string.Empty;
        return true;
    }

    private static bool TryLoadCertificates(FileInfo file, X509Certificate2Collection certificates, out string error)
    {
        try
        {
            var text = File.ReadAllText(file.FullName);
            if (text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
            {
                certificates.ImportFromPem(text);
            }
            else
            {
                certificates.Add(X509CertificateLoader.LoadCertificateFromFile(file.FullName));
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or CryptographicException)
        {
            error = $"cannot read CA certificates from {file}: {exception.Message}";
            return false;
        }

        error = string.Empty;
        return true;
    }

    private static (string Value, string Source) Read(ParseResult result, Option<string> option, string environmentVariable, string fallback)
    {
        var value = result.GetValue(option);
        if (!string.IsNullOrWhiteSpace(value))
        {
            return (value.Trim(), option.Name);
        }

        var environment = Environment.GetEnvironmentVariable(environmentVariable);
        if (!string.IsNullOrWhiteSpace(environment))
        {
            return (environment.Trim(), environmentVariable);
        }

        return (fallback, "the default");
    }
}
