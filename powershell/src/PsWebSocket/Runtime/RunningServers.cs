using System.Collections.Concurrent;

namespace PsWebSocket.Runtime;

/// <summary>
/// The servers running in this process, for code that has no <c>$PodeContext</c> to go by: tab
/// completion in a runspace other than the server's.
/// </summary>
internal static class RunningServers
{
    private static readonly ConcurrentDictionary<PodeContext, bool> Servers = new();

    /// <summary>Called when a server starts serving.</summary>
    internal static void Add(PodeContext context) => Servers.TryAdd(context, true);

    /// <summary>Called when a server stops.</summary>
    internal static void Remove(PodeContext context) => Servers.TryRemove(context, out _);

    /// <summary>The servers serving now.</summary>
    internal static ICollection<PodeContext> All => Servers.Keys;
}
