using System.Net.Http;
using System.Text.Json;
using PsWebSocket.Module.Tests.Harness;
using Xunit;

namespace PsWebSocket.Module.Tests;

/// <summary>Set-PodeState, Get-PodeState and Lock-PodeObject, within one runspace and across threads.</summary>
public class StateTests
{
    private static Task<PodeServerHost> StartAsync(string body, int threads = 1) => PodeServerHost.StartAsync($$"""
        Start-PodeServer -Threads {{threads}} {
            Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
            {{SignalKit.EvalRoute}}
            {{body}}
        }
        """);

    private static async Task<JsonElement> EvalSingleAsync(PodeServerHost server, string script) => (await server.EvalAsync(script)).Success().Single;

    [Fact]
    public async Task State_set_in_the_server_script_is_the_same_object_in_routes()
    {
        await using var server = await StartAsync("""
            $returned = Set-PodeState -Name 'Data' -Value @{ Name = 'Rick Sanchez' } -Scope 'General', 'Users'
            $returned.Returned = $true
            Set-PodeState -Name 'Cache' -NewCollectionType ConcurrentDictionary | Out-Null
            Set-PodeState -Name 'Nothing' -Value $null | Out-Null
            1, 2, 3 | Set-PodeState -Name 'Piped' | Out-Null
            """);
        var data = await EvalSingleAsync(server, "Get-PodeState -Name 'data'");
        Assert.Equal("Rick Sanchez", data.GetProperty("Name").GetString());
        Assert.True(data.GetProperty("Returned").GetBoolean());

        var scoped = await EvalSingleAsync(server, "Get-PodeState -Name 'Data' -WithScope");
        Assert.Equal(["General", "Users"], scoped.GetProperty("Scope").EnumerateArray().Select(s => s.GetString()!).ToArray());

        Assert.Equal("ConcurrentDictionary`2", (await EvalSingleAsync(server, "(Get-PodeState -Name 'Cache').GetType().Name")).GetString());
        // A state set to $null exists (its record says so); a missing one gives nothing at all.
        var nothing = await EvalSingleAsync(server, "Get-PodeState -Name 'Nothing' -WithScope");
        Assert.Equal(JsonValueKind.Null, nothing.GetProperty("Value").ValueKind);
        Assert.Empty(nothing.GetProperty("Scope").EnumerateArray());
        Assert.Empty((await server.EvalAsync("Get-PodeState -Name 'Missing'")).Success().Strings);
        Assert.Empty((await server.EvalAsync("Get-PodeState -Name 'Missing' -WithScope")).Success().Strings);
        Assert.Equal(3, (await EvalSingleAsync(server, "(Get-PodeState -Name 'Piped').Count")).GetInt32());

        // A change made in one route is seen by the next: the state holds the object itself.
        (await server.EvalAsync("(Get-PodeState -Name 'Cache')['k'] = 'v'")).Success();
        Assert.Equal("v", (await EvalSingleAsync(server, "(Get-PodeState -Name 'Cache')['k']")).GetString());

        // Setting a name again replaces the value (and its scope).
        (await server.EvalAsync("Set-PodeState -Name 'DATA' -Value 'replaced' | Out-Null")).Success();
        var replaced = await EvalSingleAsync(server, "Get-PodeState -Name 'Data' -WithScope");
        Assert.Equal("replaced", replaced.GetProperty("Value").GetString());
        Assert.Empty(replaced.GetProperty("Scope").EnumerateArray());
    }

    [Theory]
    [InlineData("Hashtable", "Hashtable")]
    [InlineData("OrderedDictionary", "OrderedDictionary")]
    [InlineData("ConcurrentBag", "ConcurrentBag`1")]
    [InlineData("ConcurrentQueue", "ConcurrentQueue`1")]
    [InlineData("ConcurrentStack", "ConcurrentStack`1")]
    public void NewCollectionType_stores_an_empty_collection(string type, string expected)
    {
        var result = Ps.Run($$"""
            try {
                Start-PodeServer {
                    Add-PodeEndpoint -Address 127.0.0.1 -Port 0 -Protocol Http
                    $c = Set-PodeState -Name 'c' -NewCollectionType {{type}}
                    $global:out = "$($c.GetType().Name) $((Get-PodeState -Name 'c').Count)"
                    throw 'done'
                }
            } catch { }
            $global:out
            """);
        Assert.Equal($"{expected} 0", Assert.Single(result.Output).ToString());
    }

    [Fact]
    public async Task Lock_PodeObject_makes_read_modify_write_safe_across_threads()
    {
        await using var server = await StartAsync("""
            Set-PodeState -Name 'hits' -Value @{ count = 0 } | Out-Null
            Add-PodeRoute -Method Post -Path '/hit' -ScriptBlock {
                Lock-PodeObject -ScriptBlock {
                    $hits = Get-PodeState -Name 'hits'
                    $value = $hits.count
                    [System.Threading.Thread]::Sleep(2)
                    $hits.count = $value + 1
                }
                Write-PodeTextResponse -Value 'ok'
            }
            Add-PodeTimer -Name 'AlsoHits' -Interval 1 -OnStart -Limit 2 -ScriptBlock {
                Lock-PodeObject -Object $TimerEvent.Lockable -ScriptBlock { (Get-PodeState -Name 'hits').count++ }
            }
            """, threads: 4);
        using var http = server.Http();
        await Task.WhenAll(Enumerable.Range(0, 60).Select(_ => http.PostAsync("/hit", new StringContent(""))));
        // 60 requests and the timer's two runs.
        await SignalKit.WaitUntilAsync(async () => (await EvalSingleAsync(server, "(Get-PodeState -Name 'hits').count")).GetInt32() == 62, "every increment counted");
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task A_held_lock_times_out_other_threads_and_is_released_when_the_holder_ends()
    {
        await using var server = await StartAsync("""
            $gate = [System.Threading.ManualResetEventSlim]::new($false)
            $entered = [System.Threading.ManualResetEventSlim]::new($false)
            Add-PodeRoute -Method Get -Path '/hold' -ScriptBlock {
                Lock-PodeObject -ScriptBlock { ($using:entered).Set(); ($using:gate).Wait(15000) | Out-Null }
                Write-PodeTextResponse -Value 'released'
            }
            Add-PodeRoute -Method Get -Path '/entered' -ScriptBlock { Write-PodeTextResponse -Value ($using:entered).Wait(15000) }
            Add-PodeRoute -Method Get -Path '/open' -ScriptBlock { ($using:gate).Set() }
            """, threads: 3);
        using var http = server.Http();
        var hold = http.GetStringAsync("/hold");
        Assert.Equal("True", await http.GetStringAsync("/entered"));

        var blocked = await server.EvalAsync("Lock-PodeObject -Timeout 200 -ScriptBlock { 'got it' } -Return");
        Assert.False(blocked.Ok);
        Assert.StartsWith("LockTimeout", blocked.ErrorId);
        Assert.Equal("OperationTimeout", blocked.Category);

        await http.GetAsync("/open");
        Assert.Equal("released", await hold);
        Assert.Equal(["got it"], (await server.EvalAsync("Lock-PodeObject -Timeout 5000 -Return -CheckGlobal -ScriptBlock { 'got it' }")).Success().Strings);
    }

    [Fact]
    public void Lock_PodeObject_runs_in_the_callers_scope_returns_only_with_Return_and_releases_on_throw()
    {
        var result = Ps.Run("""
            $list = [System.Collections.ArrayList]::new()
            $x = 1
            $none = Lock-PodeObject -Object $list -ScriptBlock { $x = 2; 'dropped' }
            "x=$x none=$($null -eq $none)"
            $back = Lock-PodeObject -Object $list -Return -ScriptBlock { 'a'; 'b' }
            "back=$($back -join ',')"
            try { Lock-PodeObject -Object $list -ScriptBlock { throw 'inside' } } catch { "caught=$($_.Exception.Message)" }
            $free = [System.Threading.Monitor]::TryEnter($list.SyncRoot, 0)
            "free=$free"
            if ($free) { [System.Threading.Monitor]::Exit($list.SyncRoot) }
            $table = @{}
            $table | Lock-PodeObject -Return -ScriptBlock { 'piped' }
            """);
        Assert.Empty(result.Errors);
        Assert.Equal(["x=2 none=True", "back=a,b", "caught=inside", "free=True", "piped"], result.Output.Select(o => o.ToString()!).ToArray());
    }

    [Fact]
    public void Lock_PodeObject_rejects_what_cannot_be_locked()
    {
        Assert.Contains(Ps.Run("Lock-PodeObject -Object 5 -ScriptBlock { }").Errors, e => e.FullyQualifiedErrorId.StartsWith("LockValueType"));
        Assert.Contains(Ps.Run("@(1, 2) | ForEach-Object { @{} } | Lock-PodeObject -ScriptBlock { }").Errors,
            e => e.FullyQualifiedErrorId.StartsWith("LockPipelineArray"));
        Assert.Contains(Ps.Run("Lock-PodeObject -ScriptBlock { }").Errors, e => e.FullyQualifiedErrorId.StartsWith("PodeServerNotFound"));
        Assert.Contains(Ps.Run("Set-PodeState -Name 'x' -Value 1").Errors, e => e.FullyQualifiedErrorId.StartsWith("PodeServerNotFound"));
        Assert.Contains(Ps.Run("Get-PodeState -Name 'x'").Errors, e => e.FullyQualifiedErrorId.StartsWith("PodeServerNotFound"));
    }
}
