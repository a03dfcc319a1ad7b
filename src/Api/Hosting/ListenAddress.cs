using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace TrainingService.Api.Hosting;

/// <summary>Binds a Kestrel endpoint from an http:// URL such as http://127.0.0.1:5080 or http://0.0.0.0:5080.</summary>
internal static class ListenAddress
{
    /// <summary>
    /// Binds <paramref name="url"/>. An https:// URL serves TLS with <paramref name="certificate"/>, which must then
    /// be given; over TLS, ALPN lets one endpoint offer HTTP/2 to gRPC clients.
    /// </summary>
    public static void Listen(KestrelServerOptions kestrel, string setting, string url, HttpProtocols protocols, X509Certificate2? certificate = null)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new InvalidOperationException($"{setting} is '{url}'; expected an http:// or https:// URL such as http://127.0.0.1:5080.");
        }

        if (uri.Scheme == Uri.UriSchemeHttps && certificate is null)
        {
            throw new InvalidOperationException(
                $"{setting} is '{url}', an https:// URL, but no certificate is set; set TRAINING_TLS_CERTIFICATE and TRAINING_TLS_KEY to PEM files.");
        }

        void Configure(ListenOptions listen)
        {
            listen.Protocols = protocols;
            if (uri.Scheme == Uri.UriSchemeHttps)
            {
                listen.UseHttps(certificate!);
            }
        }

        if (uri.Host == "localhost")
        {
            kestrel.ListenLocalhost(uri.Port, Configure);
            return;
        }

        var address = uri.Host is "0.0.0.0" or "*" or "+" ? IPAddress.Any
            : IPAddress.TryParse(uri.Host, out var parsed) ? parsed
            : throw new InvalidOperationException($"{setting} is '{url}'; its host must be an IP address, localhost or 0.0.0.0.");
        kestrel.Listen(address, uri.Port, Configure);
    }

    /// <summary>Loads the TLS certificate named by TRAINING_TLS_CERTIFICATE and TRAINING_TLS_KEY (PEM files), or null when neither is set.</summary>
    public static X509Certificate2? LoadCertificate(IConfiguration configuration)
    {
        var certificatePath = configuration["TRAINING_TLS_CERTIFICATE"];
        var keyPath = configuration["TRAINING_TLS_KEY"];

        if (string.IsNullOrEmpty(certificatePath) && string.IsNullOrEmpty(keyPath))
        {
            return null;
        }

        if (string.IsNullOrEmpty(certificatePath) || string.IsNullOrEmpty(keyPath))
        {
            throw new InvalidOperationException("TRAINING_TLS_CERTIFICATE and TRAINING_TLS_KEY must be set together, each to a PEM file.");
        }

        // Kestrel on Linux needs the key in an exportable, non-ephemeral form, which a PKCS#12 round trip gives.
        using var pem = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }
}
