using System.Net.Http;
using System.Net.Security;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PsWebSocket.Module.Tests.Harness;

/// <summary>A temporary folder for server scripts, views, public files and certificates; deleted on dispose.</summary>
public sealed class TempDir : IDisposable
{
    /// <summary>Creates an empty folder under the system temp folder.</summary>
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "psws-test-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    /// <summary>The folder.</summary>
    public string Path { get; }

    /// <summary>Writes a text file (creating folders) and returns its full path.</summary>
    public string Write(string relative, string content)
    {
        var full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
        return full;
    }

    /// <summary>Writes a binary file (creating folders) and returns its full path.</summary>
    public string Write(string relative, byte[] content)
    {
        var full = System.IO.Path.Combine(Path, relative);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
        File.WriteAllBytes(full, content);
        return full;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // a server may still hold a file for a moment; the temp folder is cleaned by the system
        }
    }
}

/// <summary>A self-signed certificate for 127.0.0.1/localhost, and clients that trust exactly it.</summary>
public sealed class TestCertificate : IDisposable
{
    /// <summary>Creates an RSA certificate valid for a day.</summary>
    public TestCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        Certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
    }

    /// <summary>The certificate with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Writes a password-protected PKCS#12 file and returns its path.</summary>
    public string WritePfx(TempDir dir, string password) => dir.Write("cert.pfx", Certificate.Export(X509ContentType.Pfx, password));

    /// <summary>Writes cert.pem and key.pem (PKCS#8) and returns their paths.</summary>
    public (string Cert, string Key) WritePem(TempDir dir)
    {
        var cert = dir.Write("cert.pem", Certificate.ExportCertificatePem());
        var key = dir.Write("key.pem", Certificate.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem());
        return (cert, key);
    }

    /// <summary>Accepts this certificate only.</summary>
    public bool Trusts(X509Certificate? presented) =>
        presented is not null && presented.GetCertHashString() == Certificate.GetCertHashString();

    /// <summary>An HTTPS client for https://127.0.0.1:port that trusts this certificate.</summary>
    public HttpClient Https(int port)
    {
        var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, cert, _, _) => Trusts(cert) };
        return new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{port}"), Timeout = PodeServerHost.Limit };
    }

    /// <summary>Connects to wss://127.0.0.1:port/path trusting this certificate.</summary>
    public async Task<ClientWebSocket> ConnectWssAsync(int port, string path)
    {
        var ws = new ClientWebSocket();
        ws.Options.RemoteCertificateValidationCallback = (_, cert, _, _) => Trusts(cert);
        using var cts = new CancellationTokenSource(PodeServerHost.Limit);
        await ws.ConnectAsync(new Uri($"wss://127.0.0.1:{port}{path}"), cts.Token);
        return ws;
    }

    /// <inheritdoc/>
    public void Dispose() => Certificate.Dispose();
}

/// <summary>Small helpers for HTTP tests.</summary>
public static class HttpKit
{
    /// <summary>Sends a request and returns the status, the body and the content type.</summary>
    public static async Task<(int Status, string Body, string ContentType)> SendAsync(this HttpClient http, HttpMethod method, string path, HttpContent? content = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        return ((int)response.StatusCode, body, response.Content.Headers.ContentType?.ToString() ?? "");
    }

    /// <summary>GET: status, body and content type.</summary>
    public static Task<(int Status, string Body, string ContentType)> GetAsync3(this HttpClient http, string path) => http.SendAsync(HttpMethod.Get, path);

    /// <summary>A raw request line sent as written (no client-side path normalisation), for traversal tests.</summary>
    public static async Task<string> RawGetAsync(int port, string rawPath)
    {
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(System.Net.IPAddress.Loopback, port);
        using var stream = client.GetStream();
        var request = $"GET {rawPath} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream);
        using var cts = new CancellationTokenSource(PodeServerHost.Limit);
        return await reader.ReadToEndAsync(cts.Token);
    }
}
