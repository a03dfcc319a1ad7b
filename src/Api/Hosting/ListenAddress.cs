using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace TrainingService.Api.Hosting;

/// <summary>Binds a Kestrel endpoint from an http:// URL such as http://127.0.0.1:5080 or http://0.0.0.0:5080.</summary>
internal static class ListenAddress
{
    public static void Listen(KestrelServerOptions kestrel, string setting, string url, HttpProtocols protocols)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp)
        {
            throw new InvalidOperationException($"{setting} is '{url}'; expected an http:// URL such as http://127.0.0.1:5080.");
        }

        if (uri.Host == "localhost")
        {
            kestrel.ListenLocalhost(uri.Port, listen => listen.Protocols = protocols);
            return;
        }

        var address = uri.Host is "0.0.0.0" or "*" or "+" ? IPAddress.Any
            : IPAddress.TryParse(uri.Host, out var parsed) ? parsed
            : throw new InvalidOperationException($"{setting} is '{url}'; its host must be an IP address, localhost or 0.0.0.0.");
        kestrel.Listen(address, uri.Port, listen => listen.Protocols = protocols);
    }
}
