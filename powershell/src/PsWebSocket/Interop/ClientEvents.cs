namespace PsWebSocket.Interop;

/// <summary>An event of an external connection, copied out of the callback.</summary>
internal abstract record ClientEvent;

/// <summary>A complete message from the server of connection <paramref name="Name"/>.</summary>
internal sealed record ClientMessageEvent(string Name, byte[] Data, bool Binary) : ClientEvent;

/// <summary>
/// A connection closed: the close code (1006 when it just dropped), the reason, whether the
/// remote server closed it (else this side did), and whether automatic reconnects follow.
/// </summary>
internal sealed record ClientDisconnectedEvent(string Name, int Code, string Reason, bool ClosedByServer, bool Reconnecting) : ClientEvent;

/// <summary>An automatic reconnect attempt follows after <paramref name="Delay"/>; why the previous one failed, if it did.</summary>
internal sealed record ClientReconnectingEvent(string Name, int Attempt, TimeSpan Delay, string LastError) : ClientEvent;

/// <summary>An automatic reconnect succeeded.</summary>
internal sealed record ClientReconnectedEvent(string Name, string Url) : ClientEvent;

/// <summary>Automatic reconnects gave up; the connection stays registered, disconnected.</summary>
internal sealed record ClientReconnectFailedEvent(string Name, int Attempts, string Error) : ClientEvent;

/// <summary>A log line from the engine (level 0 debug .. 3 error).</summary>
internal sealed record ClientLogEvent(int Level, string Message) : ClientEvent;
