using PsWebSocket.Module.Tests.Harness;
using Xunit;

namespace PsWebSocket.Module.Tests;

/// <summary>Add-PodeStaticRoute and the automatic public/ folder: content types, index files, 404s, no traversal.</summary>
public class StaticRouteTests
{
    private static TempDir Site()
    {
        var dir = new TempDir();
        dir.Write("public/index.html", "<p>home</p>");
        dir.Write("public/styles/site.css", "body{}");
        dir.Write("public/scripts/app.js", "let a = 1;");
        dir.Write("public/data.json", "{}");
        dir.Write("public/logo.png", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        dir.Write("public/icon.svg", "<svg/>");
        dir.Write("public/notes.txt", "notes");
        dir.Write("public/blob.weird", "?");
        dir.Write("public/docs/index.html", "<p>docs index</p>");
        dir.Write("assets/app.css", "/* assets */");
        dir.Write("assets/sub/deep.txt", "deep");
        dir.Write("secret.txt", "top secret");
        dir.Write("server.ps1", """
            Start-PodeServer {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
                Add-PodeStaticRoute -Path '/assets' -Source './assets'
                Add-PodeRoute -Method Get -Path '/api/hello' -ScriptBlock { Write-PodeTextResponse -Value 'route' }
            }
            """);
        return dir;
    }

    [Fact]
    public async Task The_public_folder_is_served_at_the_root_with_content_types()
    {
        using var dir = Site();
        await using var server = await PodeServerHost.StartAsync($"& '{Path.Combine(dir.Path, "server.ps1")}'");
        using var http = server.Http();

        var (status, body, type) = await http.GetAsync3("/index.html");
        Assert.Equal((200, "<p>home</p>"), (status, body));
        Assert.StartsWith("text/html", type);
        Assert.StartsWith("text/css", (await http.GetAsync3("/styles/site.css")).ContentType);
        Assert.Contains("javascript", (await http.GetAsync3("/scripts/app.js")).ContentType);
        Assert.StartsWith("application/json", (await http.GetAsync3("/data.json")).ContentType);
        Assert.StartsWith("image/png", (await http.GetAsync3("/logo.png")).ContentType);
        Assert.StartsWith("image/svg+xml", (await http.GetAsync3("/icon.svg")).ContentType);
        Assert.StartsWith("text/plain", (await http.GetAsync3("/notes.txt")).ContentType);
        Assert.StartsWith("application/octet-stream", (await http.GetAsync3("/blob.weird")).ContentType);
        Assert.Equal("<p>docs index</p>", await http.GetStringAsync("/docs/"));
        Assert.Equal("route", await http.GetStringAsync("/api/hello"));
        Assert.Equal(404, (await http.GetAsync3("/missing.css")).Status);
    }

    [Fact]
    public async Task Add_PodeStaticRoute_serves_a_folder_relative_to_the_root_under_a_prefix()
    {
        using var dir = Site();
        await using var server = await PodeServerHost.StartAsync($"& '{Path.Combine(dir.Path, "server.ps1")}'");
        using var http = server.Http();
        Assert.Equal("/* assets */", await http.GetStringAsync("/assets/app.css"));
        Assert.Equal("deep", await http.GetStringAsync("/assets/sub/deep.txt"));
        Assert.Equal(404, (await http.GetAsync3("/assets/none.css")).Status);
    }

    [Theory]
    [InlineData("/../secret.txt")]
    [InlineData("/assets/../secret.txt")]
    [InlineData("/assets/../../secret.txt")]
    [InlineData("/%2e%2e/secret.txt")]
    [InlineData("/assets/%2e%2e/%2e%2e/secret.txt")]
    [InlineData("/assets/..%2f..%2fsecret.txt")]
    [InlineData("/assets/%2E%2E%2Fsecret.txt")]
    [InlineData("/styles/..%5c..%5csecret.txt")]
    public async Task Nothing_outside_the_served_folders_is_reachable(string rawPath)
    {
        using var dir = Site();
        await using var server = await PodeServerHost.StartAsync($"& '{Path.Combine(dir.Path, "server.ps1")}'");
        var response = await HttpKit.RawGetAsync(server.Port, rawPath);
        Assert.DoesNotContain("top secret", response);
        Assert.Matches(@"^HTTP/1\.1 (400|403|404) ", response);
    }

    [Fact]
    public async Task A_server_without_a_public_folder_answers_404()
    {
        using var dir = new TempDir();
        await using var server = await PodeServerHost.StartAsync("""
            Start-PodeServer -RootPath $root {
                Add-PodeEndpoint -Address 127.0.0.1 -Port $port -Protocol Http
            }
            """, new Dictionary<string, object?> { ["root"] = dir.Path });
        using var http = server.Http();
        Assert.Equal(404, (await http.GetAsync3("/index.html")).Status);
    }

    [Fact]
    public void A_static_route_to_a_missing_folder_is_an_error()
    {
        using var dir = new TempDir();
        var result = Ps.Run("Start-PodeServer -RootPath $root { Add-PodeEndpoint -Address 127.0.0.1 -Port 0 -Protocol Http; Add-PodeStaticRoute -Path '/x' -Source './nope' }",
            new Dictionary<string, object?> { ["root"] = dir.Path });
        Assert.Contains(result.Errors, e => e.FullyQualifiedErrorId.StartsWith("StaticRouteFailed"));
    }
}
