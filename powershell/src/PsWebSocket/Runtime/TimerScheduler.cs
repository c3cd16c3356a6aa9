namespace PsWebSocket.Runtime;

/// <summary>Timers and schedules of a server (Add-PodeTimer, Add-PodeSchedule).</summary>
internal sealed class TimerScheduler(PodeContext context) : IDisposable
{
    internal PodeContext Context { get; } = context;

    public void Start()
    {
    }

    public void Dispose()
    {
    }
}
