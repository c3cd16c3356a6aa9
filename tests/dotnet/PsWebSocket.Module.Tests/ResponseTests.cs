using System.Net.Http;
using System.Text.Json;
using PsWebSocket.Module.Tests.Harness;
using Xunit;

namespace PsWebSocket.Module.Tests;

/// <summary>Write-Pode*Response and Set-PodeResponseStatus, views from the server's root folder.</summary>
public class ResponseTests
{
    private const string Routes = """
        Add-PodeRoute -Method Get -Path '/text' -ScriptBlock { Write-PodeTextResponse -Value 'plain' }
        Add-PodeRoute -Method Get -Path '/text-typed' -ScriptBlock { Write-PodeTextResponse -Value 'a,b' -ContentType 'text/csv' -StatusCode 201 }
        Add-PodeRoute -Method Get -Path '/text-number' -ScriptBlock { 42 | Write-PodeTextResponse }
        Add-PodeRoute -Method Get -Path '/json' -ScriptBlock { Write-PodeJsonResponse -Value @{ name = 'ann'; list = @(1, 2); nested = @{ ok = $true } } }
        Add-PodeRoute -Method Get -Path '/json-string' -ScriptBlock { Write-PodeJsonResponse -Value '{"raw":true}' -StatusCode 202 }
        Add-PodeRoute -Method Get -Path '/json-depth' -ScriptBlock { Write-PodeJsonResponse -Depth 1 -Value @{ a = @{ b = @{ c = 1 } } } }
        Add-PodeRoute -Method Get -Path '/json-array' -ScriptBlock { Write-PodeJsonResponse -Value @(@{ n = 1 }, @{ n = 2 }) }
        Add-PodeRoute -Method Get -Path '/html' -ScriptBlock { Write-PodeHtmlResponse -Value '<h1>Hi</h1>' }
        Add-PodeRoute -Method Get -Path '/file' -ScriptBlock { Write-PodeFileResponse -Path './files/data.json' }
        Add-PodeRoute -Method Get -Path '/file-typed' -ScriptBlock { Write-PodeFileResponse -Path './files/data.json' -ContentType 'text/plain' }
        Add-PodeRoute -Method Get -Path '/file-missing' -ScriptBlock { Write-PodeFileResponse -Path './files/none.txt' }
        Add-PodeRoute -Method Get -Path '/view' -ScriptBlock { Write-PodeViewResponse -Path 'index' }
        Add-PodeRoute -Method Get -Path '/view-ext' -ScriptBlock { Write-PodeViewResponse -Path 'about.html' -Data @{ x = 1 } }
        Add-PodeRoute -Method Get -Path '/view-missing' -ScriptBlock { Write-PodeViewResponse -Path 'nope' }
        Add-PodeRoute -Method Get -Path '/view-escape' -ScriptBlock { Write-PodeViewResponse -Path '../secret' }
        Add-PodeRoute -Method Get -Path '/status' -ScriptBlock { Set-PodeResponseStatus -Code 404 }
        Add-PodeRoute -Method Get -Path '/status-text' -ScriptBlock { Set-PodeResponseStatus -Code 418 -Description "I'm a teapot" }
        Add-PodeRoute -Method Get -Path '/status-after-write' -ScriptBlock { Write-PodeJsonResponse -Value @{ error = 'bad' }; Set-PodeResponseStatus -Code 400 }
        Add-PodeRoute -Method Get -Path '/last-wins' -ScriptBlock { Write-PodeTextResponse -Value 'first'; Write-PodeTextResponse -Value 'second' }
        """;

    private static void WriteSite(TempDir dir)
    {
        dir.Write("views/index.html", "<p>index view</p>");
        dir.Write("views/about.html", "<p>about view</p>");
        dir.Write("secret.html", "<p>secret</p>");
        dir.Write("files/data.json", """{"from":"file"}""");
    }

    [Fact]
    public async Task Every_response_cmdlet_from_a_server_script_run_by_path()
    {
        // The root path is the folder of the script that calls Start-PodeServer.
        using var dir = new TempDir();
        WriteSite(dir);
        var file = dir.Write("server.ps1", $$"""
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
                {{Routes}}
            }
            """);
        await using var server = await PodeServerHost.StartAsync($"$ExecutionContext.SessionState.Path.SetLocation('/') | Out-Null; & '{file}'");
        using var http = server.Http();

        Assert.Equal((200, "plain", "text/plain; charset=utf-8"), await http.GetAsync3("/text"));
        Assert.Equal((201, "a,b", "text/csv"), await http.GetAsync3("/text-typed"));
        Assert.Equal((200, "42", "text/plain; charset=utf-8"), await http.GetAsync3("/text-number"));

        var (status, json, type) = await http.GetAsync3("/json");
        Assert.Equal(200, status);
        Assert.Equal("application/json; charset=utf-8", type);
        var root = JsonDocument.Parse(json).RootElement;
        Assert.Equal("ann", root.GetProperty("name").GetString());
        Assert.Equal(2, root.GetProperty("list").GetArrayLength());
        Assert.True(root.GetProperty("nested").GetProperty("ok").GetBoolean());
        Assert.Equal((202, """{"raw":true}""", "application/json; charset=utf-8"), await http.GetAsync3("/json-string"));
        var depth = JsonDocument.Parse((await http.GetAsync3("/json-depth")).Body).RootElement;
        Assert.Equal(JsonValueKind.String, depth.GetProperty("a").GetProperty("b").ValueKind);
        Assert.Equal(2, JsonDocument.Parse((await http.GetAsync3("/json-array")).Body).RootElement.GetArrayLength());

        Assert.Equal((200, "<h1>Hi</h1>", "text/html; charset=utf-8"), await http.GetAsync3("/html"));
        Assert.Equal((200, """{"from":"file"}""", "application/json; charset=utf-8"), await http.GetAsync3("/file"));
        Assert.Equal((200, """{"from":"file"}""", "text/plain"), await http.GetAsync3("/file-typed"));
        Assert.Equal(404, (await http.GetAsync3("/file-missing")).Status);

        Assert.Equal((200, "<p>index view</p>", "text/html; charset=utf-8"), await http.GetAsync3("/view"));
        Assert.Equal((200, "<p>about view</p>", "text/html; charset=utf-8"), await http.GetAsync3("/view-ext"));
        Assert.Equal(404, (await http.GetAsync3("/view-missing")).Status);
        Assert.Equal(404, (await http.GetAsync3("/view-escape")).Status);

        Assert.Equal(404, (await http.GetAsync3("/status")).Status);
        Assert.Equal((418, "I'm a teapot"), Pick(await http.GetAsync3("/status-text")));
        Assert.Equal((400, """{"error":"bad"}"""), Pick(await http.GetAsync3("/status-after-write")));
        Assert.Equal((200, "second"), Pick(await http.GetAsync3("/last-wins")));

        // The missing views are the only errors the server reports (Write-PodeViewResponse writes them, Pode-style,
        // as non-terminating errors).
        await SignalKit.WaitUntilAsync(() => server.Errors.Count == 2, "the two missing views reported");
        Assert.All(server.Errors, e => Assert.StartsWith("ViewNotFound", e.FullyQualifiedErrorId));
        Assert.Equal(["nope", "../secret"], server.Errors.Select(e => e.TargetObject?.ToString()));
    }

    private static (int, string) Pick((int Status, string Body, string ContentType) r) => (r.Status, r.Body);

    [Fact]
    public async Task RootPath_sets_where_views_and_files_are_found()
    {
        using var dir = new TempDir();
        WriteSite(dir);
        await using var server = await PodeServerHost.StartAsync($$"""
            Start-PodeServer -RootPath $root {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
                {{Routes}}
            }
            """, new Dictionary<string, object?> { ["root"] = dir.Path });
        using var http = server.Http();
        Assert.Equal("<p>index view</p>", await http.GetStringAsync("/view"));
        Assert.Equal("""{"from":"file"}""", await http.GetStringAsync("/file"));
    }

    [Fact]
    public async Task Without_a_script_file_or_RootPath_the_current_location_is_the_root()
    {
        using var dir = new TempDir();
        WriteSite(dir);
        await using var server = await PodeServerHost.StartAsync($$"""
            $ExecutionContext.SessionState.Path.SetLocation($root) | Out-Null
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
                {{Routes}}
            }
            """, new Dictionary<string, object?> { ["root"] = dir.Path });
        using var http = server.Http();
        Assert.Equal("<p>about view</p>", await http.GetStringAsync("/view-ext"));
    }

    [Fact]
    public void Response_cmdlets_outside_a_route_are_errors_that_say_where_they_belong()
    {
        var result = Ps.Run("""
            try { Start-PodeServer { Write-PodeTextResponse -Value 'x' } } catch { $_.FullyQualifiedErrorId }
            try { Start-PodeServer { Set-PodeResponseStatus -Code 500 } } catch { $_.FullyQualifiedErrorId }
            """);
        Assert.Equal(2, result.Output.Count(o => o.ToString()!.StartsWith("NotInRoute")));
    }

    [Fact]
    public async Task A_status_code_out_of_range_is_a_validation_error_reported_as_500()
    {
        await using var server = await PodeServerHost.StartAsync("""
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
                Add-PodeRoute -Method Get -Path '/' -ScriptBlock { Set-PodeResponseStatus -Code 99 }
            }
            """);
        using var http = server.Http();
        Assert.Equal(500, (await http.GetAsync3("/")).Status);
        await SignalKit.WaitUntilAsync(() => server.Errors.Any(e => e.FullyQualifiedErrorId.StartsWith("ParameterArgumentValidationError")), "the validation error is reported");
    }
}
