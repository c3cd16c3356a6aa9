using System.Management.Automation;
using System.Net.WebSockets;
using System.Text.Json;
using PsWebSocket.Module.Tests.Harness;
using Xunit;

namespace PsWebSocket.Module.Tests;

/// <summary>Add-PodeEndpoint and Get-PodeEndpoint: protocols, shared ports, port 0, hostnames, positional binding, TLS with PKCS#12 and PEM, bad input.</summary>
public class EndpointTests
{
    [Fact]
    public async Task Http_and_Ws_share_a_port_with_auto_upgrade()
    {
        await using var server = await PodeServerHost.StartAsync("""
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Ws
                Add-PodeRoute -Method Get -Path '/ping' -ScriptBlock { Write-PodeTextResponse -Value 'pong' }
            }
            """);
        using var http = server.Http();
        Assert.Equal("pong", await http.GetStringAsync("/ping"));
        using var a = await server.ConnectAsync("/feed");
        using var b = await server.ConnectAsync("/feed");
        await a.SendAsync("""{"message":{"n":1}}""");
        Assert.Equal("""{"n":1}""", await b.ReceiveTextAsync());
        Assert.Equal("pong", await http.GetStringAsync("/ping"));
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("*")]
    [InlineData("all")]
    [InlineData("127.0.0.1")]
    public async Task Address_accepts_localhost_star_and_IPs(string address)
    {
        await using var server = await PodeServerHost.StartAsync("""
            Start-PodeServer {
                Add-PodeEndpoint -Address $address -Port $port -Protocol Http
                Add-PodeRoute -Method Get -Path '/' -ScriptBlock { Write-PodeTextResponse -Value (Get-PodeEndpoint).Address }
            }
            """, new Dictionary<string, object?> { ["address"] = address });
        using var http = server.Http();
        Assert.False(string.IsNullOrEmpty(await http.GetStringAsync("/")));
    }

    [Fact]
    public async Task NoAutoUpgradeWebSockets_leaves_upgrades_to_routes()
    {
        await using var server = await PodeServerHost.StartAsync("""
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Ws -NoAutoUpgradeWebSockets
                Add-PodeRoute -Method Get -Path '/manual' -ScriptBlock { ConvertTo-PodeSignalConnection -Name 'Manual' }
            }
            """);
        using var manual = await server.ConnectAsync("/manual");
        Assert.Equal(WebSocketState.Open, manual.State);
        await Assert.ThrowsAnyAsync<WebSocketException>(() => server.ConnectAsync("/automatic"));
    }

    [Fact]
    public async Task Port_0_binds_a_free_port_that_Get_PodeEndpoint_reports()
    {
        await using var server = await PodeServerHost.StartAsync("""
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http -Name 'fixed'
                Add-PodeEndpoint -Address 127.0.0.1 -Port 0 -Protocol Http -Name 'zero'
                Add-PodeRoute -Method Get -Path '/endpoints' -ScriptBlock { Write-PodeJsonResponse -Value @(Get-PodeEndpoint) }
                Add-PodeRoute -Method Get -Path '/zero' -ScriptBlock { Write-PodeTextResponse -Value (Get-PodeEndpoint -Name 'zero').Port }
                Add-PodeRoute -Method Get -Path '/where' -ScriptBlock { Write-PodeTextResponse -Value $WebEvent.Endpoint.Name }
            }
            """);
        using var http = server.Http();
        var endpoints = JsonDocument.Parse(await http.GetStringAsync("/endpoints")).RootElement.EnumerateArray().ToArray();
        Assert.Equal(2, endpoints.Length);
        var zero = endpoints.Single(e => e.GetProperty("Name").GetString() == "zero");
        var port = zero.GetProperty("Port").GetInt32();
        Assert.NotEqual(0, port);
        Assert.NotEqual(server.Port, port);
        Assert.Equal("http", zero.GetProperty("Protocol").GetString());
        Assert.Equal($"http://127.0.0.1:{port}", zero.GetProperty("Url").GetString());
        Assert.Equal(port.ToString(), await http.GetStringAsync("/zero"));

        using var other = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = PodeServerHost.Limit };
        Assert.Equal("zero", await other.GetStringAsync("/where"));
        Assert.Equal("fixed", await http.GetStringAsync("/where"));
    }

    [Fact]
    public async Task Hostname_names_the_endpoint_in_its_Url_and_the_parameters_bind_by_position_as_in_Pode()
    {
        await using var server = await PodeServerHost.StartAsync("""
            Start-PodeServer {
                # Address, Port, Hostname, Protocol by position
                Add-PodeEndpoint 127.0.0.1 $port 'chat.example.com' Http -Name 'named'
                # a host name as -Address is the hostname, and the endpoint listens on localhost
                Add-PodeEndpoint -Address 'Api.Example.test' -Port 0 -Protocol Http -Name 'byaddress'
                Add-PodeRoute -Method Get -Path '/endpoints' -ScriptBlock { Write-PodeJsonResponse -Value @(Get-PodeEndpoint) }
                Add-PodeRoute -Method Get -Path '/where' -ScriptBlock { Write-PodeTextResponse -Value $WebEvent.Endpoint.Name }
            }
            """);
        using var http = server.Http();
        var endpoints = JsonDocument.Parse(await http.GetStringAsync("/endpoints")).RootElement.EnumerateArray()
            .ToDictionary(e => e.GetProperty("Name").GetString()!);
        var named = endpoints["named"];
        Assert.Equal("chat.example.com", named.GetProperty("Hostname").GetString());
        Assert.Equal("http", named.GetProperty("Protocol").GetString());
        Assert.Equal(server.Port, named.GetProperty("Port").GetInt32());
        Assert.Equal($"http://chat.example.com:{server.Port}", named.GetProperty("Url").GetString());

        var byAddress = endpoints["byaddress"];
        var port = byAddress.GetProperty("Port").GetInt32();
        Assert.Equal("Api.Example.test", byAddress.GetProperty("Hostname").GetString());
        Assert.Equal($"http://Api.Example.test:{port}", byAddress.GetProperty("Url").GetString());
        using var local = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = PodeServerHost.Limit };
        Assert.Equal("byaddress", await local.GetStringAsync("/where"));

        // The hostname is not a filter: a request for another host is served too.
        using var other = new HttpRequestMessage(HttpMethod.Get, "/where");
        other.Headers.Host = "elsewhere.example.org";
        using var response = await http.SendAsync(other);
        Assert.Equal("named", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("-Hostname 'not a host'")]
    [InlineData("-Hostname 'under_score.example.com'")]
    [InlineData("-Hostname '127.0.0.1'")]
    public void A_malformed_Hostname_is_a_clear_error(string arguments)
    {
        var result = Ps.Run($"Start-PodeServer {{ Add-PodeEndpoint -Address 127.0.0.1 -Port 0 -Protocol Http {arguments} }}");
        var error = Assert.Single(result.Errors);
        Assert.StartsWith("EndpointHostnameInvalid", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidArgument, error.CategoryInfo.Category);
        Assert.Contains("Invalid hostname", error.ToString());
    }

    [Fact]
    public void Get_PodeEndpoint_before_start_reports_Pode_default_ports_and_filters()
    {
        var result = Ps.Run("""
            try {
                Start-PodeServer {
                    Add-PodeEndpoint -Protocol Http -Name 'h'
                    Add-PodeEndpoint -Protocol Ws -Name 'w'
                    Add-PodeEndpoint -Protocol Wss -Name 's' -Certificate './none.pfx'
                    $global:all = @(Get-PodeEndpoint)
                    $global:ws = @(Get-PodeEndpoint -Protocol Ws)
                    $global:named = @(Get-PodeEndpoint -Name 's', 'h')
                    throw 'stop before binding'
                }
            } catch { }
            $global:all | ForEach-Object { "$($_.Name) $($_.Protocol) $($_.Address) $($_.Port)" }
            'ws: ' + ($global:ws.Name -join ',')
            'named: ' + ($global:named.Name -join ',')
            """);
        var lines = result.Output.Select(o => o.ToString()).ToArray();
        Assert.Equal(["h http localhost 8080", "w ws localhost 9080", "s wss localhost 9443", "ws: w", "named: h,s"], lines);
    }

    [Fact]
    public async Task Https_with_a_PKCS12_file_and_password()
    {
        using var dir = new TempDir();
        using var cert = new TestCertificate();
        var pfx = cert.WritePfx(dir, "p@ss word");
        await using var server = await PodeServerHost.StartAsync("""
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Https -Certificate $pfx -CertificatePassword 'p@ss word'
                Add-PodeRoute -Method Get -Path '/secure' -ScriptBlock { Write-PodeTextResponse -Value "$($WebEvent.Endpoint.Protocol) $($WebEvent.Request.Url.Scheme)" }
            }
            """, new Dictionary<string, object?> { ["pfx"] = pfx });
        using var https = cert.Https(server.Port);
        Assert.Equal("https https", await https.GetStringAsync("/secure"));
    }

    [Fact]
    public async Task Wss_with_a_PEM_certificate_and_key_and_Https_on_the_same_port()
    {
        using var dir = new TempDir();
        using var cert = new TestCertificate();
        var (pem, key) = cert.WritePem(dir);
        await using var server = await PodeServerHost.StartAsync("""
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Https -Certificate $pem -CertificateKey $key
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Wss -Certificate $pem -CertificateKey $key -NoAutoUpgradeWebSockets
                Add-PodeRoute -Method Get -Path '/msg' -ScriptBlock { ConvertTo-PodeSignalConnection -Name 'Msg' }
                Add-PodeSignalRoute -Path '/msg' -ScriptBlock { Send-PodeSignal -Name 'Msg' -Value @{ echo = $SignalEvent.Data.Message; scheme = $SignalEvent.Endpoint.Protocol } }
            }
            """, new Dictionary<string, object?> { ["pem"] = pem, ["key"] = key });
        using var ws = await cert.ConnectWssAsync(server.Port, "/msg");
        await ws.SendAsync("""{"message":"over tls"}""");
        var reply = JsonDocument.Parse(await ws.ReceiveTextAsync()).RootElement;
        Assert.Equal("over tls", reply.GetProperty("echo").GetString());
        Assert.Equal("wss", reply.GetProperty("scheme").GetString());
    }

    [Fact]
    public async Task A_client_that_does_not_trust_the_certificate_is_refused()
    {
        using var dir = new TempDir();
        using var cert = new TestCertificate();
        var pfx = cert.WritePfx(dir, "pw");
        await using var server = await PodeServerHost.StartAsync("""
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Wss -Certificate $pfx -CertificatePassword 'pw'
            }
            """, new Dictionary<string, object?> { ["pfx"] = pfx });
        using var ws = new ClientWebSocket();
        using var cts = new CancellationTokenSource(PodeServerHost.Limit);
        await Assert.ThrowsAnyAsync<WebSocketException>(() => ws.ConnectAsync(new Uri($"wss://127.0.0.1:{server.Port}/x"), cts.Token));
    }

    [Fact]
    public void An_unknown_protocol_is_a_parameter_validation_error()
    {
        var result = Ps.Run("Start-PodeServer { Add-PodeEndpoint -Address 127.0.0.1 -Port 0 -Protocol Ftp }");
        Assert.Contains(result.Errors, e => e.FullyQualifiedErrorId.StartsWith("ParameterArgumentValidationError") && e.ToString().Contains("Ftp"));
    }

    [Theory]
    [InlineData("-Protocol Wss", "CertificateRequired")]
    [InlineData("-Protocol Https", "CertificateRequired")]
    [InlineData("-Protocol Ws -Certificate './cert.pfx'", "CertificateNotAllowed")]
    public void Certificates_must_match_the_protocol(string arguments, string errorId)
    {
        var result = Ps.Run($"Start-PodeServer {{ Add-PodeEndpoint -Address 127.0.0.1 -Port 0 {arguments} }}");
        Assert.Contains(result.Errors, e => e.FullyQualifiedErrorId.StartsWith(errorId));
    }

    [Fact]
    public void A_wrong_PKCS12_password_fails_the_start_with_a_TLS_error()
    {
        using var dir = new TempDir();
        using var cert = new TestCertificate();
        var pfx = cert.WritePfx(dir, "right");
        var result = Ps.Run("""
            Start-PodeServer { Add-PodeEndpoint -Address 127.0.0.1 -Port 0 -Protocol Https -Certificate $pfx -CertificatePassword 'wrong' }
            """, new Dictionary<string, object?> { ["pfx"] = pfx });
        var error = Assert.Single(result.Errors);
        Assert.StartsWith("PodeServerStartFailed", error.FullyQualifiedErrorId);
    }

    [Fact]
    public void A_missing_certificate_file_fails_the_start()
    {
        var result = Ps.Run("Start-PodeServer { Add-PodeEndpoint -Address 127.0.0.1 -Port 0 -Protocol Wss -Certificate '/nonexistent/cert.pem' -CertificateKey '/nonexistent/key.pem' }");
        var error = Assert.Single(result.Errors);
        Assert.Contains("cert.pem", error.ToString());
    }

    [Fact]
    public async Task A_port_in_use_fails_the_start_and_endpoints_cannot_be_added_after_start()
    {
        await using var server = await PodeServerHost.StartAsync($$"""
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
                {{SignalKit.EvalRoute}}
            }
            """);
        var result = Ps.Run("Start-PodeServer { Add-PodeEndpoint -Address 127.0.0.1 -Port $p -Protocol Http }", new Dictionary<string, object?> { ["p"] = server.Port });
        var error = Assert.Single(result.Errors);
        Assert.StartsWith("PodeServerStartFailed", error.FullyQualifiedErrorId);
        Assert.Contains(server.Port.ToString(), error.ToString());

        var late = await server.EvalAsync("Add-PodeEndpoint -Address 127.0.0.1 -Port 0 -Protocol Http");
        Assert.False(late.Ok);
        Assert.StartsWith("EndpointAfterStart", late.ErrorId);
    }
}
