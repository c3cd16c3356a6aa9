using PsWebSocket.Module.Tests.Harness;
using Xunit;

namespace PsWebSocket.Module.Tests;

/// <summary>
/// Set-PodeSignalBackplane / Get-PodeSignalBackplane: two Start-PodeServer nodes on one real
/// redis-server. A message from a client of node A reaches node B's clients through the default
/// re-broadcast and through a signal route; A lists B's clients; bad settings are errors.
/// </summary>
public class BackplaneTests
{
    private const string Node = $$"""
        Start-PodeServer -Threads 1 {
            Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
            Set-PodeSignalBackplane -Redis $redis -ChannelPrefix 'tests' -OutboxLimit 100
            Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Ws
            {{SignalKit.EvalRoute}}
            Add-PodeSignalRoute -Path '/routed' -ScriptBlock { Send-PodeSignal -Name '/chat' -Value "routed: $($SignalEvent.Data.Message)" }
        }
        """;

    private static async Task<bool> ConnectedAsync(PodeServerHost node)
    {
        var result = (await node.EvalAsync("(Get-PodeSignalBackplane).Connected")).Success();
        return result.Strings is ["true"];
    }

    [Fact]
    public async Task Messages_and_lists_cross_nodes_through_redis()
    {
        using var redis = await RedisServer.StartAsync();
        var variables = new Dictionary<string, object?> { ["redis"] = redis.Url };
        await using var a = await PodeServerHost.StartAsync(Node, variables);
        await using var b = await PodeServerHost.StartAsync(Node, variables);
        await SignalKit.WaitUntilAsync(async () => await ConnectedAsync(a) && await ConnectedAsync(b), "both nodes to connect to Redis");

        using var onA = await Peer.ConnectAsync(a, "/chat");
        using var onB = await Peer.ConnectAsync(b, "/chat");
        using var router = await Peer.ConnectAsync(a, "/routed");

        await onA.SendAsync("""{"message":"hello"}""");
        Assert.Equal("hello", await onA.ReceiveAsync());
        Assert.Equal("hello", await onB.ReceiveAsync());

        await router.SendAsync("""{"message":"x"}""");
        Assert.Equal("routed: x", await onB.ReceiveAsync());
        Assert.Equal("routed: x", await onA.ReceiveAsync());

        await onA.SendAsync("""{"message":"me","direct":true}""");
        Assert.Equal("me", await onA.ReceiveAsync());
        Assert.True(await onB.QuietForAsync(TimeSpan.FromMilliseconds(400)), "a direct reply stays on its node");

        foreach (var (node, other) in new[] { (a, "B"), (b, "A") })
        {
            await SignalKit.WaitUntilAsync(async () => (await node.EvalAsync("Get-PodeSignalClientIdList -Name '/chat'")).Success().Strings.Length == 2, $"the other node to list {other}'s client");
        }

        var keys = (await a.EvalAsync("(Get-PodeSignalBackplane).Keys")).Success().Strings.Order(StringComparer.Ordinal);
        Assert.Equal(["Connected", "Dropped", "LagMs", "OutboxDepth", "Published", "Received"], keys);
        var counts = (await a.EvalAsync("$s = Get-PodeSignalBackplane; $s.Published; $s.Dropped; $s.OutboxDepth")).Success().Strings;
        Assert.Equal(["2", "0", "0"], counts);
        Assert.Equal("2", (await b.EvalAsync("(Get-PodeSignalBackplane).Received")).Success().Strings.Single());

        var late = await a.EvalAsync($"Set-PodeSignalBackplane -Redis '{redis.Url}'");
        Assert.False(late.Ok);
        Assert.StartsWith("BackplaneAfterStart", late.ErrorId);
    }

    [Fact]
    public async Task A_bad_url_is_an_error_and_no_backplane_gives_nothing()
    {
        await using var plain = await PodeServerHost.StartAsync($$"""
            Start-PodeServer -Threads 1 {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
                {{SignalKit.EvalRoute}}
                try { Set-PodeSignalBackplane -Redis 'rediss://127.0.0.1:6379' } catch { Set-PodeState -Name 'error' -Value "$($_.FullyQualifiedErrorId)|$($_.Exception.Message)" }
            }
            """);
        var error = (await plain.EvalAsync("Get-PodeState -Name 'error'")).Success().Strings.Single();
        Assert.StartsWith("BackplaneInvalid", error);
        Assert.Contains("rediss://", error);
        Assert.Empty((await plain.EvalAsync("Get-PodeSignalBackplane")).Success().Strings);
    }
}
