using System.Text.RegularExpressions;
using Microsoft.Playwright;
using PsWebSocket.Module.Tests.Harness;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace PsWebSocket.Browser.Tests;

/// <summary>
/// examples/auth-chat (Pode's Web-SignalAuthForm.ps1) in a real browser: Morty logs in through the form and
/// chats, an anonymous page is refused the WebSocket, Rick hears Morty log in and out, and Morty's other
/// page loses its socket (1008) at logout. Each user has a browser context of their own (own cookies).
/// </summary>
public sealed class AuthChatPageTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    private static readonly BrowserNewContextOptions Window = new() { ViewportSize = new() { Width = 900, Height = 400 } };

    private static readonly string Command = $"& '{Path.Combine(Ps.RepoRoot, "examples", "auth-chat", "server.ps1")}' -Port $port";

    static AuthChatPageTests() => Ps.ExposeModule();

    [Fact]
    public async Task A_user_logs_in_chats_and_logs_out_and_an_anonymous_page_is_refused()
    {
        await using var server = await PodeServerHost.StartAsync(Command);
        var url = $"http://127.0.0.1:{server.Port}";
        await using var mortyContext = await chromium.Browser.NewContextAsync(Window);
        await using var rickContext = await chromium.Browser.NewContextAsync(Window);
        await using var anonContext = await chromium.Browser.NewContextAsync(Window);

        var rick = await LogInAsync(rickContext, url, "rick", "sanchez");
        await Expect(rick.Locator("#messages p").Last).ToHaveTextAsync("User 'Rick' has logged in.");

        var morty = await LogInAsync(mortyContext, url, "morty", "pickle");
        await Expect(morty.Locator("#messages p").Last).ToHaveTextAsync("User 'Morty' has logged in.");
        await Expect(rick.Locator("#messages p").Last).ToHaveTextAsync("User 'Morty' has logged in.");

        await morty.FillAsync("#bc-message", "hello from Morty");
        await morty.ClickAsync("#bc-form input[type=submit]");
        await Expect(rick.Locator("#messages p").Last).ToHaveTextAsync("hello from Morty");
        await Expect(morty.Locator("#messages p").Last).ToHaveTextAsync("hello from Morty");
        await morty.ScreenshotAsync(new() { Path = Path.Combine(ChromiumFixture.ArtifactDir, "auth-chat-morty.png") });

        // An anonymous page: the chat sends it to the login page, and its own WebSocket to /msg never opens.
        var anon = await anonContext.NewPageAsync();
        await anon.GotoAsync($"{url}/");
        await Expect(anon).ToHaveURLAsync($"{url}/login");
        var outcome = await anon.EvaluateAsync<string>("""
            (url) => new Promise(resolve => {
                const ws = new WebSocket(url);
                ws.onopen = () => resolve('open');
                ws.onclose = (e) => resolve('closed ' + e.code);
            })
            """, $"ws://127.0.0.1:{server.Port}/msg");
        Assert.Equal("closed 1006", outcome); // the handshake failed: no 101

        // Morty's second page shares the session; logging out in the first closes its socket with 1008.
        var mortyAgain = await mortyContext.NewPageAsync();
        await mortyAgain.GotoAsync($"{url}/");
        await Expect(mortyAgain.Locator("#status")).ToHaveAttributeAsync("data-state", "connected");
        await morty.ClickAsync("#logout-form input[type=submit]");
        await Expect(morty).ToHaveURLAsync($"{url}/login");
        await Expect(mortyAgain.Locator("#status")).ToHaveTextAsync("closed (1008)");
        await Expect(rick.Locator("#messages p").Last).ToHaveTextAsync("User 'Morty' has logged out.");
        await mortyAgain.ReloadAsync();
        await Expect(mortyAgain).ToHaveURLAsync($"{url}/login");
        await rick.ScreenshotAsync(new() { Path = Path.Combine(ChromiumFixture.ArtifactDir, "auth-chat-rick.png") });
        Assert.Empty(server.Errors);
    }

    private static async Task<IPage> LogInAsync(IBrowserContext context, string url, string user, string password)
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync($"{url}/");
        await Expect(page).ToHaveTitleAsync("Auth Login");
        await page.FillAsync("#username", user);
        await page.FillAsync("#password", password);
        await page.ClickAsync("#login-form input[type=submit]");
        await Expect(page).ToHaveURLAsync(new Regex($"^{Regex.Escape(url)}/$"));
        await Expect(page).ToHaveTitleAsync("WebSockets");
        await Expect(page.Locator("#status")).ToHaveAttributeAsync("data-state", "connected");
        return page;
    }
}
