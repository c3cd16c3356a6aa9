using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PsWebSocket.Runtime;

/// <summary>
/// Certificates for Add-PodeEndpoint -SelfSigned and -X509Certificate: made or taken as .NET objects and
/// written as PEM files (readable by the owner only) that the engine loads when the server starts; the
/// server deletes them once it started (<see cref="PodeContext"/>).
/// </summary>
internal static class EndpointCertificates
{
    /// <summary>
    /// A self-signed server certificate (ECDSA P-256, one year) for the endpoint's host name or address,
    /// also valid for localhost, 127.0.0.1 and ::1.
    /// </summary>
    public static X509Certificate2 SelfSigned(string? hostname, string address)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var ip = IPAddress.TryParse(address, out var parsed) ? parsed : null;
        var name = hostname ?? (ip is not null && !ip.Equals(IPAddress.Any) && !ip.Equals(IPAddress.IPv6Any) ? address : "localhost");
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        if (hostname is not null)
        {
            san.AddDnsName(hostname);
        }
        if (ip is not null && !IPAddress.IsLoopback(ip) && !ip.Equals(IPAddress.Any) && !ip.Equals(IPAddress.IPv6Any))
        {
            san.AddIpAddress(ip);
        }
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(1));
    }

    /// <summary>Writes the certificate and its private key as PEM files in <paramref name="folder"/>; returns their paths.</summary>
    /// <exception cref="ArgumentException">The certificate has no private key.</exception>
    public static (string Certificate, string Key) WritePem(X509Certificate2 certificate, string folder)
    {
        AsymmetricAlgorithm key = (AsymmetricAlgorithm?)certificate.GetECDsaPrivateKey() ?? certificate.GetRSAPrivateKey()
            ?? throw new ArgumentException($"The certificate '{certificate.Subject}' has no ECDSA or RSA private key: an endpoint needs one.");
        using (key)
        {
            var id = Guid.NewGuid().ToString("n");
            var certPath = Path.Combine(folder, $"{id}.crt");
            var keyPath = Path.Combine(folder, $"{id}.key");
            Write(certPath, certificate.ExportCertificatePem());
            Write(keyPath, key.ExportPkcs8PrivateKeyPem());
            return (certPath, keyPath);
        }
    }

    /// <summary>A new folder only the current user can read.</summary>
    public static string NewPrivateFolder()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"psws-certs-{Guid.NewGuid():n}");
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
        }
        else
        {
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        return folder;
    }

    private static void Write(string path, string text)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using var writer = new StreamWriter(path, System.Text.Encoding.ASCII, options);
        writer.Write(text);
    }
}
