namespace PsWebSocket.Interop.Tests.Harness;

/// <summary>Bounded waits: a test that waits longer than this has failed, not slowed down.</summary>
internal static class Limits
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    /// <summary>A token that fires after <see cref="Wait"/>.</summary>
    public static CancellationTokenSource Token() => new(Wait);
}
