using System.Collections.Concurrent;
using System.Management.Automation;
using PsWebSocket.Runtime.Logging;

namespace PsWebSocket.Runtime;

/// <summary>
/// Messages for the user from threads that cannot write to the pipeline (workers,
/// engine callbacks). Start-PodeServer drains them on its own thread as errors,
/// warnings and verbose lines, so a failing scriptblock is reported and the server
/// keeps serving. Errors also go to the error log type, when one is enabled.
/// </summary>
internal sealed class ServerLog(LoggingService logging)
{
    private readonly ConcurrentQueue<object> _entries = new();
    private readonly SemaphoreSlim _signal = new(0);

    /// <summary>Signalled when something was logged.</summary>
    public WaitHandle Signal => _signal.AvailableWaitHandle;

    /// <summary>An error record (a scriptblock threw, an event could not be handled).</summary>
    public void Error(ErrorRecord record)
    {
        Add(record);
        logging.Error(record);
    }

    /// <summary>A line for the server's terminal (terminal log method, Write-PodeHost).</summary>
    public void HostLine(string line, ConsoleColor? color = null, bool newLine = true) => Add(new HostLine(line, color, newLine));

    /// <summary>A warning line.</summary>
    public void Warning(string message) => Add(new WarningRecord(message));

    /// <summary>A verbose line.</summary>
    public void Verbose(string message) => Add(new VerboseRecord(message));

    private void Add(object entry)
    {
        _entries.Enqueue(entry);
        _signal.Release();
    }

    /// <summary>Writes everything logged so far through the cmdlet (its thread only).</summary>
    public void Drain(PSCmdlet cmdlet)
    {
        while (_entries.TryDequeue(out var entry))
        {
            _signal.Wait(0);
            switch (entry)
            {
                case ErrorRecord e:
                    cmdlet.WriteError(e);
                    break;
                case WarningRecord w:
                    cmdlet.WriteWarning(w.Message);
                    break;
                case VerboseRecord v:
                    cmdlet.WriteVerbose(v.Message);
                    break;
                case HostLine h:
                    h.WriteTo(cmdlet.Host.UI);
                    break;
            }
        }
    }
}

/// <summary>Text for the terminal, in a colour or the host's own.</summary>
internal sealed record HostLine(string Text, ConsoleColor? Color, bool NewLine)
{
    public void WriteTo(System.Management.Automation.Host.PSHostUserInterface ui)
    {
        var text = NewLine ? Text + Environment.NewLine : Text;
        if (Color is { } color)
        {
            ui.Write(color, ui.RawUI.BackgroundColor, text);
        }
        else
        {
            ui.Write(text);
        }
    }
}
