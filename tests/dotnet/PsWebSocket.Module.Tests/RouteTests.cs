using System.Net.Http;
using System.Text;
using System.Text.Json;
using PsWebSocket.Module.Tests.Harness;
using Xunit;

namespace PsWebSocket.Module.Tests;

/// <summary>Add-PodeRoute: methods, :params, wildcards, endpoints, files, $WebEvent and request bodies, failures.</summary>
public class RouteTests
{
    private const string Server = """
        Start-PodeServer -Threads 2 {
            Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http -Name 'main'
            Add-PodeEndpoint -Address 127.0.0.1 -Port 0 -Protocol Http -Name 'api'

            Add-PodeRoute -Method Get -Path '/items' -ScriptBlock { Write-PodeTextResponse -Value 'get items' }
            Add-PodeRoute -Method Post -Path '/items' -ScriptBlock { Write-PodeTextResponse -Value 'post items' }
            Add-PodeRoute -Method Put, Patch -Path '/items/:id' -ScriptBlock { Write-PodeTextResponse -Value "$($WebEvent.Method) $($WebEvent.Parameters['id'])" }
            Add-PodeRoute -Method * -Path '/any' -ScriptBlock { Write-PodeTextResponse -Value $WebEvent.Method }
            Add-PodeRoute -Method Get -Path '/users/:user/posts/:post' -ScriptBlock { Write-PodeJsonResponse -Value $WebEvent.Parameters }
            Add-PodeRoute -Method Get -Path '/files/*' -ScriptBlock { Write-PodeTextResponse -Value "wild $($WebEvent.Path)" }
            Add-PodeRoute -Method Get -Path '/only-api' -EndpointName 'api' -ScriptBlock { Write-PodeTextResponse -Value 'api only' }
            Add-PodeRoute -Method Get -Path '/port' -ScriptBlock { Write-PodeTextResponse -Value (Get-PodeEndpoint -Name 'api').Port }

            Add-PodeRoute -Method Post -Path '/event' -ScriptBlock {
                $e = $WebEvent
                Write-PodeJsonResponse -Depth 5 -Value @{
                    keys = [string[]]@($e.Keys)
                    method = $e.Method
                    path = $e.Path
                    query = $e.Query
                    dataType = $(if ($null -eq $e.Data) { 'null' } else { $e.Data.GetType().Name })
                    data = $e.Data
                    body = $e.Request.Body
                    contentType = $e.ContentType
                    httpMethod = $e.Request.HttpMethod
                    userAgent = $e.Request.UserAgent
                    header = $e.Request.Headers['X-Test']
                    url = "$($e.Request.Url)"
                    endpoint = $e.Endpoint
                    routePath = $e.Route.Path
                    lockable = ($e.Lockable -is [hashtable]) -and $e.Lockable.IsSynchronized
                    timestampKind = "$($e.Timestamp.Kind)"
                    signal = $null -eq $e.Signal
                }
            }

            Add-PodeRoute -Method Get -Path '/fail' -ScriptBlock { throw 'route exploded' }
            Add-PodeRoute -Method Get -Path '/fail-after-write' -ScriptBlock { Write-PodeTextResponse -Value 'partial' -StatusCode 202; throw 'late failure' }
            Add-PodeRoute -Method Get -Path '/ok' -ScriptBlock { Write-PodeTextResponse -Value 'still serving' }
            Add-PodeRoute -Method Get -Path '/empty' -ScriptBlock { }
        }
        """;

    private static async Task<(PodeServerHost Server, HttpClient Http)> StartAsync()
    {
        var server = await PodeServerHost.StartAsync(Server);
        return (server, server.Http());
    }

    [Fact]
    public async Task Methods_select_the_route_and_star_matches_any_method()
    {
        var (server, http) = await StartAsync();
        await using var _ = server;
        using var __ = http;
        Assert.Equal((200, "get items"), Pick(await http.SendAsync(HttpMethod.Get, "/items")));
        Assert.Equal((200, "post items"), Pick(await http.SendAsync(HttpMethod.Post, "/items", new StringContent(""))));
        Assert.Equal((200, "put 7"), Pick(await http.SendAsync(HttpMethod.Put, "/items/7", new StringContent(""))));
        Assert.Equal((200, "patch 8"), Pick(await http.SendAsync(HttpMethod.Patch, "/items/8", new StringContent(""))));
        Assert.Equal((200, "delete"), Pick(await http.SendAsync(HttpMethod.Delete, "/any")));
        Assert.Equal((200, "options"), Pick(await http.SendAsync(HttpMethod.Options, "/any")));
        // Pode's answers: 405 for a path that a route serves with other methods, 404 for an unknown path.
        Assert.Equal(405, (await http.SendAsync(HttpMethod.Delete, "/items")).Status);
        Assert.Equal(404, (await http.SendAsync(HttpMethod.Get, "/nothing-here")).Status);
    }

    private static (int, string) Pick((int Status, string Body, string ContentType) r) => (r.Status, r.Body);

    [Fact]
    public async Task Path_parameters_and_wildcards()
    {
        var (server, http) = await StartAsync();
        await using var _ = server;
        using var __ = http;
        var parameters = JsonDocument.Parse(await http.GetStringAsync("/users/ann/posts/42")).RootElement;
        Assert.Equal("ann", parameters.GetProperty("user").GetString());
        Assert.Equal("42", parameters.GetProperty("post").GetString());
        Assert.Equal("wild /files/a/b/c.txt", await http.GetStringAsync("/files/a/b/c.txt"));
    }

    [Fact]
    public async Task EndpointName_limits_a_route_to_its_endpoints()
    {
        var (server, http) = await StartAsync();
        await using var _ = server;
        using var __ = http;
        var apiPort = int.Parse(await http.GetStringAsync("/port"));
        using var api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{apiPort}"), Timeout = PodeServerHost.Limit };
        Assert.Equal("api only", await api.GetStringAsync("/only-api"));
        Assert.Equal(404, (await http.SendAsync(HttpMethod.Get, "/only-api")).Status);
        Assert.Equal("get items", await api.GetStringAsync("/items"));
    }

    [Fact]
    public async Task WebEvent_has_Pode_keys_and_request_details()
    {
        var (server, http) = await StartAsync();
        await using var _ = server;
        using var __ = http;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/event?a=1&a=2&name=J%C3%BCrgen+Smith&flag")
        {
            Content = new StringContent("""{"user":{"name":"ann","tags":["x","y"]},"n":3}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Test", "present");
        request.Headers.UserAgent.ParseAdd("route-tests/1.0");
        using var response = await http.SendAsync(request);
        var e = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        var keys = e.GetProperty("keys").EnumerateArray().Select(k => k.GetString()).ToArray();
        foreach (var key in new[] { "Method", "Path", "Query", "Parameters", "Data", "Request", "Response", "Endpoint", "Route", "Lockable", "Timestamp", "Signal", "Metadata" })
        {
            Assert.Contains(key, keys);
        }
        Assert.Equal("post", e.GetProperty("method").GetString());
        Assert.Equal("POST", e.GetProperty("httpMethod").GetString());
        Assert.Equal("/event", e.GetProperty("path").GetString());
        Assert.Equal("/event", e.GetProperty("routePath").GetString());
        var query = e.GetProperty("query");
        Assert.Equal(["1", "2"], query.GetProperty("a").EnumerateArray().Select(v => v.GetString()!).ToArray());
        Assert.Equal("Jürgen Smith", query.GetProperty("name").GetString());
        Assert.Equal("", query.GetProperty("flag").GetString());
        Assert.Equal("OrderedDictionary", e.GetProperty("dataType").GetString());
        Assert.Equal("ann", e.GetProperty("data").GetProperty("user").GetProperty("name").GetString());
        Assert.Equal(3, e.GetProperty("data").GetProperty("n").GetInt32());
        Assert.StartsWith("application/json", e.GetProperty("contentType").GetString());
        Assert.Equal("present", e.GetProperty("header").GetString());
        Assert.Equal("route-tests/1.0", e.GetProperty("userAgent").GetString());
        Assert.StartsWith($"http://127.0.0.1:{server.Port}/event?", e.GetProperty("url").GetString());
        Assert.Equal("http", e.GetProperty("endpoint").GetProperty("Protocol").GetString());
        Assert.Equal("main", e.GetProperty("endpoint").GetProperty("Name").GetString());
        Assert.Equal($"127.0.0.1:{server.Port}", e.GetProperty("endpoint").GetProperty("Address").GetString());
        Assert.True(e.GetProperty("lockable").GetBoolean());
        Assert.Equal("Utc", e.GetProperty("timestampKind").GetString());
        Assert.True(e.GetProperty("signal").GetBoolean());
    }

    [Fact]
    public async Task Form_bodies_become_hashtables_and_other_text_stays_text()
    {
        var (server, http) = await StartAsync();
        await using var _ = server;
        using var __ = http;
        using var form = new FormUrlEncodedContent([new("name", "Ann Lee"), new("city", "Zürich")]);
        var e = JsonDocument.Parse((await http.SendAsync(HttpMethod.Post, "/event", form)).Body).RootElement;
        Assert.Equal("Hashtable", e.GetProperty("dataType").GetString());
        Assert.Equal("Ann Lee", e.GetProperty("data").GetProperty("name").GetString());
        Assert.Equal("Zürich", e.GetProperty("data").GetProperty("city").GetString());

        var text = JsonDocument.Parse((await http.SendAsync(HttpMethod.Post, "/event", new StringContent("plain words"))).Body).RootElement;
        Assert.Equal("String", text.GetProperty("dataType").GetString());
        Assert.Equal("plain words", text.GetProperty("data").GetString());
        Assert.Equal("plain words", text.GetProperty("body").GetString());

        var empty = JsonDocument.Parse((await http.SendAsync(HttpMethod.Post, "/event", new StringContent("", Encoding.UTF8, "application/json"))).Body).RootElement;
        Assert.Equal("Hashtable", empty.GetProperty("dataType").GetString());
    }

    [Fact]
    public async Task Invalid_JSON_is_answered_400_without_running_the_route()
    {
        var (server, http) = await StartAsync();
        await using var _ = server;
        using var __ = http;
        var (status, body, _) = await http.SendAsync(HttpMethod.Post, "/event", new StringContent("{not json", Encoding.UTF8, "application/json"));
        Assert.Equal(400, status);
        Assert.Contains("JSON", body);
        Assert.Equal("get items", await http.GetStringAsync("/items"));
    }

    [Fact]
    public async Task A_route_that_throws_answers_500_is_reported_and_the_next_request_is_served()
    {
        var (server, http) = await StartAsync();
        await using var _ = server;
        using var __ = http;
        Assert.Equal(500, (await http.SendAsync(HttpMethod.Get, "/fail")).Status);
        Assert.Equal("still serving", await http.GetStringAsync("/ok"));
        await SignalKit.WaitUntilAsync(() => server.Errors.Any(e => e.ToString().Contains("route exploded")), "the route's error is reported");

        // What the route wrote before it threw is kept.
        Assert.Equal((202, "partial"), Pick(await http.SendAsync(HttpMethod.Get, "/fail-after-write")));
        Assert.Equal((200, ""), Pick(await http.SendAsync(HttpMethod.Get, "/empty")));
        await SignalKit.WaitUntilAsync(() => server.Errors.Any(e => e.ToString().Contains("late failure")), "the second error is reported");
    }

    [Fact]
    public async Task FilePath_routes_run_the_file_with_ArgumentList()
    {
        using var dir = new TempDir();
        var file = dir.Write("routes/hello.ps1", """
            param($Greeting, $Punctuation)
            Write-PodeTextResponse -Value "$Greeting $($WebEvent.Parameters['name'])$Punctuation"
            """);
        await using var server = await PodeServerHost.StartAsync("""
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
                Add-PodeRoute -Method Get -Path '/hello/:name' -FilePath $file -ArgumentList 'Hello', '!'
            }
            """, new Dictionary<string, object?> { ["file"] = file });
        using var http = server.Http();
        Assert.Equal("Hello ann!", await http.GetStringAsync("/hello/ann"));
    }

    [Fact]
    public async Task Relative_FilePaths_are_relative_to_the_server_root_as_in_Pode()
    {
        using var dir = new TempDir();
        dir.Write("routes/page.ps1", "Write-PodeTextResponse -Value 'route file'");
        dir.Write("timers/tick.ps1", "Set-PodeState -Name 'timer' -Value 'timer file' | Out-Null");
        dir.Write("schedules/job.ps1", "Set-PodeState -Name 'schedule' -Value 'schedule file' | Out-Null");
        await using var server = await PodeServerHost.StartAsync("""
            $ExecutionContext.SessionState.Path.SetLocation('/') | Out-Null
            Start-PodeServer -RootPath $root {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
                Add-PodeRoute -Method Get -Path '/page' -FilePath './routes/page.ps1'
                Add-PodeRoute -Method Get -Path '/state/:name' -ScriptBlock { Write-PodeTextResponse -Value (Get-PodeState -Name $WebEvent.Parameters['name']) }
                Add-PodeTimer -Name 'tick' -Interval 60 -OnStart -FilePath 'timers/tick.ps1'
                Add-PodeSchedule -Name 'job' -Cron '@daily' -OnStart -FilePath './schedules/job.ps1'
            }
            """, new Dictionary<string, object?> { ["root"] = dir.Path });
        using var http = server.Http();
        Assert.Equal("route file", await http.GetStringAsync("/page"));
        await SignalKit.WaitUntilAsync(async () => await http.GetStringAsync("/state/timer") == "timer file", "the timer file ran");
        await SignalKit.WaitUntilAsync(async () => await http.GetStringAsync("/state/schedule") == "schedule file", "the schedule file ran");
    }

    [Fact]
    public void Bad_route_definitions_are_clear_errors()
    {
        var method = Ps.Run("Start-PodeServer { Add-PodeEndpoint -Address 127.0.0.1 -Port 0 -Protocol Http; Add-PodeRoute -Method Fetch -Path '/' -ScriptBlock { } }");
        Assert.Contains(method.Errors, e => e.FullyQualifiedErrorId.StartsWith("ParameterArgumentValidationError"));

        var file = Ps.Run("Start-PodeServer { Add-PodeEndpoint -Address 127.0.0.1 -Port 0 -Protocol Http; Add-PodeRoute -Method Get -Path '/' -FilePath '/nonexistent/route.ps1' }");
        Assert.Contains(file.Errors, e => e.FullyQualifiedErrorId.StartsWith("ScriptFileNotFound"));

        var outside = Ps.Run("Add-PodeRoute -Method Get -Path '/' -ScriptBlock { }");
        Assert.Contains(outside.Errors, e => e.FullyQualifiedErrorId.StartsWith("PodeServerNotFound"));
    }
}
