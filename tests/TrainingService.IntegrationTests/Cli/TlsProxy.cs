using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace TrainingService.IntegrationTests.Cli;

/// <summary>
/// A TLS front for the API, which serves only plain HTTP/2. It accepts TLS on 127.0.0.1 with a certificate from a
/// private CA made for the test, offers HTTP/2 by ALPN, and copies the decrypted frames to and from the API.
/// It keeps what clients sent, so a test can look for a header in it.
/// </summary>
/// <remarks>
/// Kestrel resets a request whose :scheme is https on a plain connection, so the proxy rewrites that pseudo-header to
/// http. It finds it only in the form the .NET client writes: a one-byte HPACK index among the leading indexed fields of
/// each HEADERS frame. A client that encodes it differently passes through unchanged and is reset.
/// </remarks>
public sealed class TlsProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Uri _target;
    private readonly X509Certificate2 _certificate;
    private readonly CancellationTokenSource _stop = new();
    private readonly MemoryStream _received = new();
    private readonly Task _accepting;

    public TlsProxy(Uri target, string caCertificatePath)
    {
        _target = target;
        _certificate = CreateCertificates(caCertificatePath);
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>The https:// address that clients connect to.</summary>
    public string Url => $"https://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>What clients sent after decryption, as Latin-1 text. HTTP/2 header names and values appear in it as written
    /// unless the client Huffman-encodes them.</summary>
    public string ReceivedText
    {
        get
        {
            lock (_received)
            {
                return Encoding.Latin1.GetString(_received.ToArray());
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The listener was stopped while waiting for a connection.
        }

        _certificate.Dispose();
        _stop.Dispose();
    }

    // Writes the CA certificate as PEM for --ca-cert and returns a server certificate for 127.0.0.1 that the CA signed.
    private static X509Certificate2 CreateCertificates(string caCertificatePath)
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=trainctl test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllText(caCertificatePath, ca.ExportCertificatePem());

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var signed = serverRequest.Create(ca, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(1), [1, 2, 3, 4]);
        using var withKey = signed.CopyWithPrivateKey(serverKey);

        // SslStream on Linux needs the key in an exportable form, which a PKCS#12 round trip gives.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        using (var upstream = new TcpClient())
        {
            try
            {
                await using var tls = new SslStream(client.GetStream());
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificate = _certificate,
                    ApplicationProtocols = [SslApplicationProtocol.Http2],
                }, _stop.Token);

                await upstream.ConnectAsync(_target.Host, _target.Port, _stop.Token);
                var api = upstream.GetStream();
                await Task.WhenAny(CopyRequestsAsync(tls, api), CopyAsync(api, tls));
            }
            catch (Exception exception) when (exception is IOException or SocketException or OperationCanceledException
                or System.Security.Authentication.AuthenticationException)
            {
                // A client that rejects the certificate, or either side closing, ends this connection only.
            }
        }
    }

    private async Task CopyAsync(Stream from, Stream to)
    {
        var buffer = new byte[16 * 1024];
        int count;
        while ((count = await from.ReadAsync(buffer, _stop.Token)) > 0)
        {
            await to.WriteAsync(buffer.AsMemory(0, count), _stop.Token);
            await to.FlushAsync(_stop.Token);
        }
    }

    // Copies the 24-byte connection preface, then frame by frame: a 9-byte header (24-bit length, type, flags, stream id)
    // and its payload, rewriting :scheme in each HEADERS frame.
    private async Task CopyRequestsAsync(Stream client, Stream api)
    {
        var preface = new byte[24];
        await client.ReadExactlyAsync(preface, _stop.Token);
        await ForwardAsync(api, preface);

        var header = new byte[9];
        while (true)
        {
            await client.ReadExactlyAsync(header, _stop.Token);
            var payload = new byte[(header[0] << 16) | (header[1] << 8) | header[2]];
            await client.ReadExactlyAsync(payload, _stop.Token);

            if (header[3] == HeadersFrame)
            {
                RewriteScheme(payload, header[4]);
            }

            await ForwardAsync(api, [.. header, .. payload]);
        }
    }

    private async Task ForwardAsync(Stream api, byte[] bytes)
    {
        lock (_received)
        {
            _received.Write(bytes);
        }

        await api.WriteAsync(bytes, _stop.Token);
        await api.FlushAsync(_stop.Token);
    }

    private const byte HeadersFrame = 0x1;
    private const byte PaddedFlag = 0x8;
    private const byte PriorityFlag = 0x20;

    // HPACK static table entries 6 and 7 are ":scheme: http" and ":scheme: https"; an indexed field is 0x80 | index.
    private const byte SchemeHttp = 0x86;
    private const byte SchemeHttps = 0x87;

    private static void RewriteScheme(byte[] payload, byte flags)
    {
        var start = ((flags & PaddedFlag) != 0 ? 1 : 0) + ((flags & PriorityFlag) != 0 ? 5 : 0);
        for (var i = start; i < payload.Length && payload[i] > 0x80 && payload[i] < 0xFF; i++)
        {
            if (payload[i] == SchemeHttps)
            {
                payload[i] = SchemeHttp;
                return;
            }
        }
    }
}
