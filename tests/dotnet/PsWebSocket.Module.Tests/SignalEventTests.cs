using System.Net.WebSockets;
using PsWebSocket.Module.Tests.Harness;
using Xunit;

namespace PsWebSocket.Module.Tests;

/// <summary>
/// Connect/Disconnect events: exactly once per connection, $TriggeredEvent's shape, close codes and
/// who closed; Register/Unregister/Test/Get-PodeSignalEvent; a throwing handler.
/// </summary>
public class SignalEventTests
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(500);

    private const string Report = """
        $t = $TriggeredEvent
        $c = $t.Connection
        "EV|$($t.Type)|$($t.Name)|$($c.ConnectionType)|$($c.Name)|$($c.Group)|$($c.ClientId)|$($c.Scope)|$($c.CloseCode)|$($c.ClosedBy)|$($c.IsClosed)|$($t.Timestamp.Kind)|$($t.Lockable -is [hashtable])|$($t.Metadata -is [hashtable])|$($c.Timestamp -is [datetime])|$($c.LastActivity -is [datetime])|$($t.EventName)|$($args -join ',')|$using:tag" | Out-Default
        """;

    private const string Server = $$"""
        $tag = 'T1'
        Start-PodeServer -Threads 2 {
            Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
            Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Ws -NoAutoUpgradeWebSockets
            Add-PodeEndpoint -Address 127.0.0.1 -Port $autoport -Protocol Ws
            {{SignalKit.EvalRoute}}
            Register-PodeSignalEvent -Name 'Ev', 'Loc', '/auto' -Type Connect -EventName 'Rep' -ArgumentList 'a1', 'a2' -ScriptBlock {
                {{Report}}
            }
            Register-PodeSignalEvent -Name 'Ev', 'Loc', '/auto' -Type Disconnect -EventName 'Rep' -ScriptBlock {
                {{Report}}
            }
            Register-PodeSignalEvent -Name 'Boom' -Type Connect -EventName 'Throws' -ScriptBlock { throw 'handler exploded' }
            Register-PodeSignalEvent -Name 'Boom' -Type Connect -EventName 'After' -ScriptBlock { "AFTER|$($TriggeredEvent.Connection.ClientId)" | Out-Default }
            Add-PodeRoute -Method Get -Path '/conn/:name' -ScriptBlock {
                ConvertTo-PodeSignalConnection -Name $WebEvent.Parameters['name'] -Group $WebEvent.Query['group'] -ClientId $WebEvent.Query['id']
            }
            Add-PodeRoute -Method Get -Path '/local' -ScriptBlock {
                ConvertTo-PodeSignalConnection -Name 'Loc' -Scope Local -ClientId 'l1'
                Send-PodeSignal -Value 'local hello'
            }
        }
        """;

    private static Task<PodeServerHost> StartAsync(int autoPort) =>
        PodeServerHost.StartAsync(Server, new Dictionary<string, object?> { ["autoport"] = autoPort });

    private static async Task<string> LineAsync(PodeServerHost server, string prefix)
    {
        await SignalKit.WaitUntilAsync(() => server.HostText.Contains(prefix), $"a line starting '{prefix}'");
        var text = server.HostText;
        var start = text.IndexOf(prefix, StringComparison.Ordinal);
        var end = text.IndexOf('\n', start);
        return text[start..(end < 0 ? text.Length : end)].TrimEnd('\r');
    }

    [Fact]
    public async Task Connect_and_disconnect_fire_once_with_pode_shape_and_close_details()
    {
        await using var server = await StartAsync(PodeServerHost.FreePort());
        var client = await Peer.ConnectAsync(server, "/conn/Ev?group=g1&id=c1");
        Assert.Equal("EV|Connect|Ev|Signal|Ev|g1|c1|Global|||False|Utc|True|True|True|True|Rep|a1,a2|T1", await LineAsync(server, "EV|Connect|Ev|"));

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye");
        Assert.Equal(WebSocketCloseStatus.NormalClosure, (await client.ReceiveCloseAsync()).Status);
        Assert.Equal("EV|Disconnect|Ev|Signal|Ev|g1|c1|Global|1000|Client|True|Utc|True|True|True|True|Rep||T1", await LineAsync(server, "EV|Disconnect|Ev|"));
        await client.DisposeAsync();

        // Closed by the server.
        var closed = await Peer.ConnectAsync(server, "/conn/Ev?id=c2");
        await LineAsync(server, "EV|Connect|Ev|Signal|Ev||c2|");
        (await server.EvalAsync("Close-PodeSignalConnection -Name 'Ev' -ClientId 'c2'")).Success();
        Assert.Equal(WebSocketCloseStatus.NormalClosure, (await closed.ReceiveCloseAsync()).Status);
        Assert.Equal("EV|Disconnect|Ev|Signal|Ev||c2|Global|1000|Server|True|Utc|True|True|True|True|Rep||T1", await LineAsync(server, "EV|Disconnect|Ev|Signal|Ev||c2|"));
        await closed.DisposeAsync();

        // Dropped without a Close frame.
        var dropped = await Peer.ConnectAsync(server, "/conn/Ev?id=c3");
        await LineAsync(server, "EV|Connect|Ev|Signal|Ev||c3|");
        dropped.Abort();
        Assert.Equal("EV|Disconnect|Ev|Signal|Ev||c3|Global|1006|Client|True|Utc|True|True|True|True|Rep||T1", await LineAsync(server, "EV|Disconnect|Ev|Signal|Ev||c3|"));
        dropped.Dispose();

        // A Name without events, and no event twice.
        await using (var quiet = await Peer.ConnectAsync(server, "/conn/NoEvents?id=q"))
        {
            await quiet.CloseAsync();
            await quiet.ReceiveCloseAsync();
        }
        await Task.Delay(Quiet);
        var text = server.HostText;
        Assert.Equal(1, text.Occurrences("EV|Connect|Ev|Signal|Ev|g1|c1|"));
        Assert.Equal(1, text.Occurrences("EV|Disconnect|Ev|Signal|Ev|g1|c1|"));
        Assert.Equal(1, text.Occurrences("EV|Disconnect|Ev|Signal|Ev||c2|"));
        Assert.Equal(1, text.Occurrences("EV|Disconnect|Ev|Signal|Ev||c3|"));
        Assert.DoesNotContain("|NoEvents|", text);
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task Local_and_auto_upgraded_connections_fire_their_events_once()
    {
        var autoPort = PodeServerHost.FreePort();
        await using var server = await StartAsync(autoPort);

        await using (var local = await Peer.ConnectAsync(server, "/local"))
        {
            Assert.Equal("local hello", await local.ReceiveAsync());
            Assert.NotNull((await local.ReceiveCloseAsync()).Status);
        }
        Assert.Equal("EV|Connect|Loc|Signal|Loc||l1|Local|||False|Utc|True|True|True|True|Rep|a1,a2|T1", await LineAsync(server, "EV|Connect|Loc|"));
        var disconnect = await LineAsync(server, "EV|Disconnect|Loc|");
        Assert.StartsWith("EV|Disconnect|Loc|Signal|Loc||l1|Local|1000|Server|True|", disconnect);

        await using (var auto = await Peer.ConnectAsync($"ws://127.0.0.1:{autoPort}/auto"))
        {
            var id = auto.Header("X-Pode-Signal-Client-Id");
            Assert.Equal($"EV|Connect|/auto|Signal|/auto||{id}|Global|||False|Utc|True|True|True|True|Rep|a1,a2|T1", await LineAsync(server, "EV|Connect|/auto|"));
            await auto.CloseAsync(WebSocketCloseStatus.EndpointUnavailable, "going");
            await auto.ReceiveCloseAsync();
            Assert.StartsWith($"EV|Disconnect|/auto|Signal|/auto||{id}|Global|1001|Client|True|", await LineAsync(server, "EV|Disconnect|/auto|"));
        }
        await Task.Delay(Quiet);
        Assert.Equal(1, server.HostText.Occurrences("EV|Connect|Loc|"));
        Assert.Equal(1, server.HostText.Occurrences("EV|Disconnect|Loc|"));
        Assert.Equal(1, server.HostText.Occurrences("EV|Disconnect|/auto|"));
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task A_throwing_handler_is_reported_and_the_others_and_the_server_go_on()
    {
        await using var server = await StartAsync(PodeServerHost.FreePort());
        await using (var boom = await Peer.ConnectAsync(server, "/conn/Boom?id=b1"))
        {
            Assert.Equal("AFTER|b1", await LineAsync(server, "AFTER|"));
        }
        await server.WaitForReportAsync("handler exploded");
        await using var next = await Peer.ConnectAsync(server, "/conn/Boom?id=b2");
        Assert.Equal("AFTER|b2", await LineAsync(server, "AFTER|b2"));
        (await server.EvalAsync("Send-PodeSignal -Name 'Boom' -Value 'still serving'")).Success();
        Assert.Equal("still serving", await next.ReceiveAsync());
    }

    [Fact]
    public async Task Events_can_be_listed_tested_and_unregistered()
    {
        await using var server = await StartAsync(PodeServerHost.FreePort());
        var all = (await server.EvalAsync("Get-PodeSignalEvent -Type Connect, Disconnect | ForEach-Object { \"$($_.Type)/$($_.Name)/$($_.EventName)\" }")).Success().Strings;
        Assert.Equal(["Connect//auto/Rep", "Connect/Boom/After", "Connect/Boom/Throws", "Connect/Ev/Rep", "Connect/Loc/Rep",
            "Disconnect//auto/Rep", "Disconnect/Ev/Rep", "Disconnect/Loc/Rep"], all.Order(StringComparer.Ordinal));

        var boom = (await server.EvalAsync("Get-PodeSignalEvent -Name 'Boom' -Type Connect -EventName 'after' | ForEach-Object { \"$($_.Name)/$($_.EventName)/$($_.Type)\" }")).Success().Strings;
        Assert.Equal(["Boom/After/Connect"], boom);
        // -EventName filters on the event's name (Pode 2.14 compared the connection Name).
        Assert.Empty((await server.EvalAsync("Get-PodeSignalEvent -Type Connect -EventName 'Boom'")).Success().Strings);

        var tests = (await server.EvalAsync("""
            Test-PodeSignalEvent -Name 'Ev' -Type Connect
            Test-PodeSignalEvent -Name 'Ev' -Type Connect -EventName 'Rep'
            Test-PodeSignalEvent -Name 'Ev' -Type Connect -EventName 'Other'
            Test-PodeSignalEvent -Name 'Boom' -Type Disconnect
            Test-PodeSignalEvent -Name 'Boom', 'Ev' -Type Disconnect
            Test-PodeSignalEvent -Type Disconnect
            Test-PodeSignalEvent -Name 'Nobody' -Type Connect, Disconnect
            Test-PodeSignalEvent -Name 'ev' -Type connect
            """)).Success().Strings;
        Assert.Equal(["true", "true", "false", "false", "true", "true", "false", "true"], tests);

        (await server.EvalAsync("Unregister-PodeSignalEvent -Name 'Ev', 'Loc' -Type Connect -EventName 'Rep'")).Success();
        Assert.Equal(["false", "false", "true"], (await server.EvalAsync("""
            Test-PodeSignalEvent -Name 'Ev' -Type Connect
            Test-PodeSignalEvent -Name 'Loc' -Type Connect
            Test-PodeSignalEvent -Name 'Ev' -Type Disconnect
            """)).Success().Strings);

        var missing = await server.EvalAsync("Unregister-PodeSignalEvent -Name 'Ev' -Type Connect -EventName 'Rep'");
        Assert.False(missing.Ok);
        Assert.StartsWith("SignalEventNotRegistered,", missing.ErrorId);
        Assert.Contains("Connect event not registered for Signal connection Ev: Rep", missing.Error);
        // Nothing is removed when one of the Names lacks the event.
        var partial = await server.EvalAsync("Unregister-PodeSignalEvent -Name 'Boom', 'Nobody' -Type Connect -EventName 'After'");
        Assert.False(partial.Ok);
        Assert.Equal(["true"], (await server.EvalAsync("Test-PodeSignalEvent -Name 'Boom' -Type Connect -EventName 'After'")).Success().Strings);
        var badType = await server.EvalAsync("Get-PodeSignalEvent -Type Open");
        Assert.StartsWith("ParameterArgumentValidationError", badType.ErrorId);

        // Unregistered Connect no longer fires; Disconnect still does.
        await using (var client = await Peer.ConnectAsync(server, "/conn/Ev?id=after"))
        {
            await client.CloseAsync();
            await client.ReceiveCloseAsync();
        }
        await LineAsync(server, "EV|Disconnect|Ev|Signal|Ev||after|");
        Assert.DoesNotContain("EV|Connect|Ev|Signal|Ev||after|", server.HostText);

        // Registering again at run time works for new connections, and duplicates are refused.
        (await server.EvalAsync("Register-PodeSignalEvent -Name 'Ev' -Type Connect -EventName 'Again' -ScriptBlock { \"AGAIN|$($TriggeredEvent.Connection.ClientId)\" | Out-Default }")).Success();
        var duplicate = await server.EvalAsync("Register-PodeSignalEvent -Name 'Ev' -Type Connect -EventName 'Again' -ScriptBlock { }");
        Assert.StartsWith("SignalEventExists,", duplicate.ErrorId);
        await using (var client = await Peer.ConnectAsync(server, "/conn/Ev?id=again"))
        {
            Assert.Equal("AGAIN|again", await LineAsync(server, "AGAIN|"));
        }
        Assert.Empty(server.Errors);
    }
}
