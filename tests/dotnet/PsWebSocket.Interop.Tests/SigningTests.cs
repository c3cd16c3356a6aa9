using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;

namespace PsWebSocket.Interop.Tests;

/// <summary>Client-id signing (Pode's Enable-PodeSignalSigning and the client-id helpers).</summary>
public sealed class SigningTests
{
    /// <summary>Pode's signed form, computed here independently: s:id.base64(HMAC-SHA256(key, id)).</summary>
    private static string Signed(string id, string key) =>
        $"s:{id}.{Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(id)))}";

    private static unsafe string SignClientId(ServerHandle handle, string id)
    {
        using var a = new ArgBuffer();
        var (i, ua, ip) = (a.Str(id), a.Str(""), a.Str(""));
        return Native.ReadString((buffer, capacity) =>
        {
            var status = NativeMethods.psws_server_sign_client_id(handle, i, ua, ip, (byte*)buffer, capacity, out var length);
            return (status, length);
        });
    }

    [Fact]
    public void NewClientIdIsSignedAndTamperedIdsFail()
    {
        using var server = new NativeServer(new ServerSettings(NativeScope.Global), _ => { });
        Assert.Equal("plain-id", server.NewClientId("plain-id", "", ""));
        Assert.True(Guid.TryParse(server.NewClientId(null, "", ""), out _));
        Assert.Equal((false, true), server.TestClientId("plain-id", "", ""));

        server.EnableSigning("super-secret", strict: false);
        var abc = server.NewClientId("abc", "", "");
        Assert.Equal("s:abc.kgJKP1LXTNjSSRWApdJuKeaiNSRyl2Dklt1aRTU+D1w=", abc);
        Assert.Equal(Signed("abc", "super-secret"), abc);
        Assert.Equal((true, true), server.TestClientId(abc, "", ""));
        Assert.Equal((true, true), server.TestClientId(abc, "any agent", "10.1.2.3")); // not strict

        var fresh = server.NewClientId(null, "", "");
        Assert.StartsWith("s:", fresh);
        var plain = fresh[2..fresh.LastIndexOf('.')];
        Assert.True(Guid.TryParse(plain, out _), plain);
        Assert.Equal(Signed(plain, "super-secret"), fresh);
        Assert.Equal((true, true), server.TestClientId(fresh, "", ""));

        // An id already signed is kept when it verifies.
        Assert.Equal(abc, server.NewClientId(abc, "", ""));

        // Tampered: the id changed under its signature, or the signature changed.
        var tamperedId = "s:abd" + abc[5..];
        var tamperedSignature = abc[..^2] + (abc[^2] == 'A' ? "B" : "A") + abc[^1];
        foreach (var tampered in new[] { tamperedId, tamperedSignature, "s:abc", "s:abc.not-base64!" })
        {
            Assert.Equal((false, false), server.TestClientId(tampered, "", ""));
            var error = Assert.Throws<PswsException>(() => server.NewClientId(tampered, "", ""));
            Assert.Equal(PswsStatus.InvalidClientId, error.Status);
            Assert.StartsWith("the client id is not valid", error.Message);
        }

        // Signed with another secret.
        Assert.Equal((false, false), server.TestClientId(Signed("abc", "other-secret"), "", ""));
        // A plain id is not valid while signing is on.
        Assert.Equal((false, false), server.TestClientId("plain-id", "", ""));

        server.DisableSigning();
        Assert.Equal("abc", server.NewClientId("abc", "", ""));
        Assert.Equal((false, true), server.TestClientId("abc", "", ""));
    }

    [Fact]
    public void StrictSigningBindsUserAgentAndIp()
    {
        using var server = new NativeServer(new ServerSettings(NativeScope.Global), _ => { });
        server.EnableSigning("k", strict: true);
        var id = server.NewClientId("x", "UA1", "127.0.0.1");
        Assert.Equal(Signed("x", "k;UA1;127.0.0.1"), id);
        Assert.Equal((true, true), server.TestClientId(id, "UA1", "127.0.0.1"));
        Assert.Equal((false, false), server.TestClientId(id, "UA2", "127.0.0.1"));
        Assert.Equal((false, false), server.TestClientId(id, "UA1", "127.0.0.2"));
    }

    [Fact]
    public void SignClientIdThroughACallerBuffer()
    {
        using var handle = Raw.NewServer();
        var off = Assert.Throws<PswsException>(() => SignClientId(handle, "abc"));
        Assert.Equal(PswsStatus.InvalidArgument, off.Status);

        using (var a = new ArgBuffer())
        {
            Native.Check(NativeMethods.psws_server_enable_signing(handle, a.Str("super-secret"), false));
        }
        Assert.Equal(PswsStatus.Ok, NativeMethods.psws_server_signing_enabled(handle, out var enabled));
        Assert.True(enabled);
        Assert.Equal(Signed("abc", "super-secret"), SignClientId(handle, "abc"));
        // Longer than the helper's first 256-byte buffer: BUFFER_TOO_SMALL, then a retry.
        var longId = new string('z', 400);
        Assert.Equal(Signed(longId, "super-secret"), SignClientId(handle, longId));
    }

    [Fact]
    public async Task UpgradesGetSignedClientIds()
    {
        using var cts = Limits.Token();
        using var server = TestServer.Start(autoUpgrade: false, configure: s =>
        {
            s.AddRoute("GET", "/signed", []);
            s.EnableSigning("upgrade-secret", strict: true);
        });

        // Generated id: signed for this client's User-Agent and IP.
        var (socket, connection, request) = await server.UpgradeAsync("/signed", "Signed", null, null, NativeScope.Global, cts.Token, userAgent: "signed-agent");
        using (socket)
        using (request)
        {
            Assert.StartsWith("s:", connection.ClientId);
            Assert.Equal(connection.ClientId, WsClient.Header(socket.HttpResponseHeaders!, "X-Pode-Signal-Client-Id"));
            Assert.Equal((true, true), server.Server.TestClientId(connection.ClientId, "signed-agent", "127.0.0.1"));
            Assert.Equal((false, false), server.Server.TestClientId(connection.ClientId, "other-agent", "127.0.0.1"));
        }

        // A requested plain id is signed.
        var (second, secondInfo, secondRequest) = await server.UpgradeAsync("/signed", "Signed", null, "mine", NativeScope.Global, cts.Token, userAgent: "ua2");
        using (second)
        using (secondRequest)
        {
            Assert.Equal(Signed("mine", "upgrade-secret;ua2;127.0.0.1"), secondInfo.ClientId);
            Assert.Equal(secondInfo.ClientId, WsClient.Header(second.HttpResponseHeaders!, "X-Pode-Signal-Client-Id"));
        }

        // A forged signed id is refused; the request stays pending until freed (500).
        using var forged = WsClient.Create("ua3");
        var connecting = forged.ConnectAsync(server.Ws("/signed"), cts.Token);
        var third = (await server.Take<RequestEvent>(cts.Token)).Request;
        var error = Assert.Throws<PswsException>(() => NativeRequest.Upgrade(third, "Signed", null, Signed("mine", "wrong"), NativeScope.Global));
        Assert.Equal(PswsStatus.InvalidClientId, error.Status);
        third.Dispose();
        await Assert.ThrowsAsync<WebSocketException>(() => connecting);
        Assert.Equal(System.Net.HttpStatusCode.InternalServerError, forged.HttpStatusCode);
    }
}
