using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace PsWebSocket.Browser.Tests;

/// <summary>
/// examples/chat in a real browser: two pages chat through server.ps1, see each other in the
/// "Connected" list, and a page finds its way back after the server restarts. Screenshots of every
/// page go to target/test-artifacts/browser.
/// </summary>
public sealed class ChatPageTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    private static readonly BrowserNewContextOptions Window = new() { ViewportSize = new() { Width = 900, Height = 340 } };

    [Fact]
    public async Task Two_pages_chat_and_see_who_is_connected()
    {
        await using var server = await ChatServer.StartAsync();
        await using var context = await chromium.Browser.NewContextAsync(Window);
        var requests = new List<string>();
        context.Request += (_, request) => { lock (requests) { requests.Add(request.Url); } };
        context.Page += (_, page) => page.WebSocket += (_, ws) => { lock (requests) { requests.Add(ws.Url); } };

        var a = await OpenChatAsync(context, server);
        var b = await OpenChatAsync(context, server);
        var idA = await OwnIdAsync(a);
        var idB = await OwnIdAsync(b);
        Assert.NotEqual(idA, idB);
        foreach (var page in new[] { a, b })
        {
            await Expect(page.Locator("#clients li")).ToHaveCountAsync(2);
            await Expect(page.Locator($"#clients li[data-client-id='{idA}']")).ToBeVisibleAsync();
            await Expect(page.Locator($"#clients li[data-client-id='{idB}']")).ToBeVisibleAsync();
            await Expect(page.Locator("#count")).ToHaveTextAsync("2");
        }

        await SendAsync(a, "hello");
        await SendAsync(a, "[date]");
        var dates = new List<string>();
        foreach (var page in new[] { a, b })
        {
            var lines = page.Locator("#messages p");
            await Expect(lines).ToHaveCountAsync(2);
            await Expect(lines.Nth(0)).ToHaveTextAsync("hello");
            await Expect(lines.Nth(1)).ToHaveTextAsync(new Regex(@"\d{1,2}:\d{2}:\d{2}"));
            dates.Add(await lines.Nth(1).InnerTextAsync());
        }
        Assert.Equal(dates[0], dates[1]); // one broadcast, seen by both
        Assert.True(IsDate(dates[0]), $"'{dates[0]}' is not the server's date");
        await Expect(a.Locator("input[name=message]")).ToHaveValueAsync(""); // the form clears after sending

        await a.ScreenshotAsync(new() { Path = Path.Combine(ChromiumFixture.ArtifactDir, "chat-a.png") });
        await b.ScreenshotAsync(new() { Path = Path.Combine(ChromiumFixture.ArtifactDir, "chat-b.png") });

        await b.CloseAsync();
        await Expect(a.Locator("#clients li")).ToHaveCountAsync(1);
        await Expect(a.Locator($"#clients li[data-client-id='{idB}']")).ToHaveCountAsync(0);
        await Expect(a.Locator("#clients li.you")).ToHaveAttributeAsync("data-client-id", idA);
        await Expect(a.Locator("#count")).ToHaveTextAsync("1");
        await a.ScreenshotAsync(new() { Path = Path.Combine(ChromiumFixture.ArtifactDir, "chat-a-after-b-left.png") });

        // Offline: the page loads nothing from anywhere but the server that served it.
        string[] seen;
        lock (requests)
        {
            seen = [.. requests];
        }
        Assert.Contains(server.Url, seen);
        Assert.Contains($"ws://127.0.0.1:{server.Port}/msg", seen);
        Assert.All(seen, url => Assert.StartsWith($"127.0.0.1:{server.Port}/", url[(url.IndexOf("//", StringComparison.Ordinal) + 2)..]));
        Assert.Empty(server.Errors);
    }

    [Fact]
    public async Task A_page_reconnects_after_the_server_restarts()
    {
        var server = await ChatServer.StartAsync();
        var port = server.Port;
        await using var context = await chromium.Browser.NewContextAsync(Window);
        IPage page;
        string before;
        try
        {
            page = await OpenChatAsync(context, server);
            before = await OwnIdAsync(page);
            await SendAsync(page, "before the restart");
            await Expect(page.Locator("#messages p")).ToHaveTextAsync(["before the restart"]);
        }
        finally
        {
            await server.DisposeAsync();
        }

        // The server is gone: the page says so, forgets the list, and keeps trying.
        var status = page.Locator("#status");
        await Expect(status).ToHaveTextAsync(new Regex("retrying in|reconnecting"));
        await Expect(page.Locator("#clients li")).ToHaveCountAsync(0);
        await Expect(page.Locator("input[type=submit]")).ToBeDisabledAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(ChromiumFixture.ArtifactDir, "chat-server-down.png") });

        // The same server comes back on the same port: the page reconnects by itself.
        await using var again = await ChatServer.StartAsync(port);
        await Expect(status).ToHaveAttributeAsync("data-state", "connected");
        var after = await OwnIdAsync(page);
        Assert.NotEqual(before, after);
        await Expect(page.Locator("#clients li")).ToHaveCountAsync(1);
        await SendAsync(page, "after the restart");
        await Expect(page.Locator("#messages p")).ToHaveTextAsync(["before the restart", "after the restart"]);
        await page.ScreenshotAsync(new() { Path = Path.Combine(ChromiumFixture.ArtifactDir, "chat-reconnected.png") });
        Assert.Empty(again.Errors);
    }

    private static async Task<IPage> OpenChatAsync(IBrowserContext context, ChatServer server)
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync(server.Url);
        await Expect(page).ToHaveTitleAsync("WebSockets");
        await Expect(page.Locator("#status")).ToHaveAttributeAsync("data-state", "connected");
        return page;
    }

    /// <summary>The page's own client id: the list marks it "(you)" once the server's welcome arrived.</summary>
    private static async Task<string> OwnIdAsync(IPage page)
    {
        var mine = page.Locator("#clients li.you");
        await Expect(mine).ToHaveCountAsync(1);
        await Expect(mine).ToContainTextAsync("(you)");
        var id = await mine.GetAttributeAsync("data-client-id");
        Assert.False(string.IsNullOrEmpty(id));
        return id!;
    }

    private static async Task SendAsync(IPage page, string text)
    {
        await page.FillAsync("input[name=message]", text);
        await page.ClickAsync("input[type=submit]");
    }

    private static bool IsDate(string text) =>
        DateTime.TryParse(text, CultureInfo.InvariantCulture, out _) || DateTime.TryParse(text, CultureInfo.CurrentCulture, out _);
}
