using Microsoft.Playwright;
using Xunit;

namespace PsWebSocket.Browser.Tests;

/// <summary>
/// Debian's Chromium (/usr/bin/chromium, installed by build/test.sh when missing), headless, driven by
/// Playwright's node driver from the NuGet package. Playwright never downloads a browser here.
/// </summary>
public sealed class ChromiumFixture : IAsyncLifetime
{
    /// <summary>The browser the build scripts install.</summary>
    public const string ExecutablePath = "/usr/bin/chromium";

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    /// <summary>The running browser.</summary>
    public IBrowser Browser => _browser ?? throw new InvalidOperationException("Chromium is not started.");

    /// <summary>Where screenshots go: target/test-artifacts/browser in the repository.</summary>
    public static string ArtifactDir { get; } = Path.Combine(ChatServer.RepoRoot, "target", "test-artifacts", "browser");

    /// <inheritdoc/>
    public async Task InitializeAsync()
    {
        if (!File.Exists(ExecutablePath))
        {
            throw new InvalidOperationException($"{ExecutablePath} is missing: install Debian's chromium (build/test.sh does it with apt-get).");
        }
        Directory.CreateDirectory(ArtifactDir);
        // Expectations poll until they hold, up to this bound; nothing asserts how long things take.
        Assertions.SetDefaultExpectTimeout((float)ChatServer.Limit.TotalMilliseconds);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            Args =
            [
                "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
            ],
        });
    }

    /// <inheritdoc/>
    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }
        _playwright?.Dispose();
    }
}
