using System.Management.Automation;

namespace PsWebSocket.Runtime.Logging;

/// <summary>
/// Where log lines go (Pode's log methods): the terminal, rolling files, or a user script
/// block. The logging service calls <see cref="Write"/> from its one writer thread, so a
/// method never sees two items at once.
/// </summary>
public abstract class LogMethod
{
    /// <summary>Terminal, File or Custom (Pode's method names).</summary>
    public abstract string Type { get; }

    /// <summary>Writes one item: the formatted text, and the raw item for custom methods.</summary>
    internal abstract void Write(LogContext log, string text, object? raw);
}

/// <summary>What a method needs from the server while writing.</summary>
internal sealed record LogContext(PodeContext Server, Worker Worker);

/// <summary>Writes each item to the server's terminal, unless the server is -Quiet.</summary>
public sealed class TerminalLogMethod : LogMethod
{
    /// <inheritdoc/>
    public override string Type => "Terminal";

    internal override void Write(LogContext log, string text, object? raw)
    {
        if (!log.Server.Quiet)
        {
            log.Server.Log.HostLine(text);
        }
    }
}

/// <summary>
/// Appends items to <c>Path/Name_yyyy-MM-dd_NNN.log</c>: a new file each day, and a new
/// number once a file passes MaxSize; files older than MaxDays are removed (Pode's file method).
/// </summary>
public sealed class FileLogMethod(string path, string name, int maxDays, long maxSize) : LogMethod
{
    private DateTime _cleaned = DateTime.MinValue;

    /// <inheritdoc/>
    public override string Type => "File";

    /// <summary>The folder of the log files.</summary>
    public string Path { get; } = path;

    /// <summary>The files' name prefix.</summary>
    public string Name { get; } = name;

    /// <summary>Days to keep files (0: for ever).</summary>
    public int MaxDays { get; } = maxDays;

    /// <summary>Bytes per file before the next number starts (0: no limit).</summary>
    public long MaxSize { get; } = maxSize;

    internal override void Write(LogContext log, string text, object? raw)
    {
        Directory.CreateDirectory(Path);
        var today = DateTime.Now.Date;
        File.AppendAllText(CurrentFile(today), text + Environment.NewLine);
        if (MaxDays > 0 && _cleaned != today)
        {
            _cleaned = today;
            foreach (var file in Directory.EnumerateFiles(Path, $"{Name}_*.log"))
            {
                if (File.GetLastWriteTime(file) < today.AddDays(-MaxDays))
                {
                    File.Delete(file);
                }
            }
        }
    }

    private string CurrentFile(DateTime day)
    {
        for (var id = 1; ; id++)
        {
            var file = System.IO.Path.Combine(Path, $"{Name}_{day:yyyy-MM-dd}_{id:000}.log");
            if (MaxSize <= 0 || !File.Exists(file) || new FileInfo(file).Length < MaxSize)
            {
                return file;
            }
        }
    }
}

/// <summary>Runs a user script block for each item: <c>param($item)</c>, then -ArgumentList.</summary>
public sealed class CustomLogMethod(ScriptDef script) : LogMethod
{
    /// <inheritdoc/>
    public override string Type => "Custom";

    internal ScriptDef Script { get; } = script;

    internal override void Write(LogContext log, string text, object? raw) =>
        log.Worker.Invoke(Script, [], out _, [raw ?? text, .. Script.Arguments]);
}
