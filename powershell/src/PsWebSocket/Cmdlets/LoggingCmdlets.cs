using System.Management.Automation;
using PsWebSocket.Runtime;
using PsWebSocket.Runtime.Logging;

namespace PsWebSocket.Cmdlets;

/// <summary>
/// <para type="synopsis">Creates a log method that writes to the server's terminal.</para>
/// <para type="description">Pipe it to Enable-PodeLogErrorType, Enable-PodeLogRequestType or Add-PodeLogger. Lines
/// are written to Start-PodeServer's host, unless the server runs with -Quiet.</para>
/// <example>
///   <code>New-PodeLogTerminalMethod | Enable-PodeLogErrorType</code>
///   <para>Errors of routes, signal routes, events, timers and schedules are written to the terminal.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.New, "PodeLogTerminalMethod")]
[OutputType(typeof(LogMethod))]
public sealed class NewPodeLogTerminalMethodCommand : PSCmdlet
{
    /// <inheritdoc/>
    protected override void EndProcessing() => WriteObject(new TerminalLogMethod());
}

/// <summary>
/// <para type="synopsis">Creates a log method that appends to daily log files.</para>
/// <para type="description">Items go to Path/Name_yyyy-MM-dd_NNN.log: a new file each day, and the next number once a
/// file reaches -MaxSize bytes. Files older than -MaxDays days are removed. A relative -Path is relative to the
/// server's root folder.</para>
/// <example>
///   <code>New-PodeLogFileMethod -Path './logs' -Name 'requests' -MaxDays 7 | Enable-PodeLogRequestType</code>
///   <para>Writes request lines to ./logs/requests_2025-01-31_001.log and keeps a week of files.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.New, "PodeLogFileMethod")]
[OutputType(typeof(LogMethod))]
public sealed class NewPodeLogFileMethodCommand : PodeCmdlet
{
    /// <summary><para type="description">The folder of the log files (default ./logs).</para></summary>
    [Parameter]
    public string Path { get; set; } = "./logs";

    /// <summary><para type="description">The name the files start with.</para></summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary><para type="description">Days to keep log files (0, the default: for ever).</para></summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int MaxDays { get; set; }

    /// <summary><para type="description">Bytes per file before the next file starts (0, the default: no limit).</para></summary>
    [Parameter]
    [ValidateRange(0, long.MaxValue)]
    public long MaxSize { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing() => WriteObject(LogMethods.File(this, Path, Name, MaxDays, MaxSize));
}

/// <summary>
/// <para type="synopsis">Creates a log method that runs a script block for each item.</para>
/// <para type="description">The script block gets the item first (the formatted line for errors and requests, the
/// transformed item for custom loggers), then -ArgumentList. It runs in the server's logging runspace, one item
/// at a time; an error it throws is reported on the server's error stream.</para>
/// <example>
///   <code>New-PodeLogCustomMethod -ScriptBlock { param($item) $item | Out-File './errors.txt' -Append } | Enable-PodeLogErrorType</code>
///   <para>Appends every error entry to a file of your own.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.New, "PodeLogCustomMethod")]
[OutputType(typeof(LogMethod))]
public sealed class NewPodeLogCustomMethodCommand : PodeCmdlet
{
    /// <summary><para type="description">The script block: param($item, ...).</para></summary>
    [Parameter(Mandatory = true)]
    public ScriptBlock? ScriptBlock { get; set; }

    /// <summary><para type="description">Arguments passed after the item.</para></summary>
    [Parameter]
    public object?[]? ArgumentList { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing() => WriteObject(new CustomLogMethod(Capture(ScriptBlock, null, ArgumentList)));
}

/// <summary>
/// <para type="synopsis">Creates a log method (Pode's older name): -Terminal, -File or -Custom.</para>
/// <para type="description">The same methods as New-PodeLogTerminalMethod, New-PodeLogFileMethod and
/// New-PodeLogCustomMethod, chosen by switch.</para>
/// <example>
///   <code>New-PodeLoggingMethod -Terminal | Enable-PodeErrorLogging</code>
///   <para>Errors are written to the terminal.</para>
/// </example>
/// <example>
///   <code>New-PodeLoggingMethod -File -Path './logs' -Name 'errors' -MaxSize 10MB | Enable-PodeErrorLogging</code>
///   <para>Errors are written to files of at most 10 MB.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.New, "PodeLoggingMethod", DefaultParameterSetName = "Terminal")]
[OutputType(typeof(LogMethod))]
public sealed class NewPodeLoggingMethodCommand : PodeCmdlet
{
    /// <summary><para type="description">Write to the terminal.</para></summary>
    [Parameter(ParameterSetName = "Terminal")]
    public SwitchParameter Terminal { get; set; }

    /// <summary><para type="description">Write to daily files.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = "File")]
    public SwitchParameter File { get; set; }

    /// <summary><para type="description">The folder of the log files (default ./logs).</para></summary>
    [Parameter(ParameterSetName = "File")]
    public string Path { get; set; } = "./logs";

    /// <summary><para type="description">The name the files start with.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = "File")]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary><para type="description">Days to keep log files (0: for ever).</para></summary>
    [Parameter(ParameterSetName = "File")]
    [ValidateRange(0, int.MaxValue)]
    public int MaxDays { get; set; }

    /// <summary><para type="description">Bytes per file before the next file starts (0: no limit).</para></summary>
    [Parameter(ParameterSetName = "File")]
    [ValidateRange(0, long.MaxValue)]
    public long MaxSize { get; set; }

    /// <summary><para type="description">Run a script block for each item.</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = "Custom")]
    public SwitchParameter Custom { get; set; }

    /// <summary><para type="description">The custom method's script block: param($item, ...).</para></summary>
    [Parameter(Mandatory = true, ParameterSetName = "Custom")]
    public ScriptBlock? ScriptBlock { get; set; }

    /// <summary><para type="description">Arguments passed to the custom script block after the item.</para></summary>
    [Parameter(ParameterSetName = "Custom")]
    public object?[]? ArgumentList { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing() => WriteObject(ParameterSetName switch
    {
        "File" => LogMethods.File(this, Path, Name, MaxDays, MaxSize),
        "Custom" => new CustomLogMethod(Capture(ScriptBlock, null, ArgumentList)),
        _ => new TerminalLogMethod(),
    });
}

/// <summary>Base of the Enable-* logging cmdlets: methods from the pipeline, enabled at the end.</summary>
public abstract class EnableLogTypeCmdlet : PodeCmdlet
{
    private readonly List<LogMethod> _methods = [];

    /// <summary><para type="description">The log methods (New-PodeLog*Method), usually piped in.</para></summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    public LogMethod[] Method { get; set; } = [];

    /// <inheritdoc/>
    protected override void ProcessRecord() => _methods.AddRange(Method);

    /// <summary>The methods given, from every pipeline item.</summary>
    protected LogMethod[] Methods => [.. _methods];
}

/// <summary>
/// <para type="synopsis">Logs the server's errors to one or more log methods.</para>
/// <para type="description">Errors of routes, signal routes, events, timers and schedules (a script block that
/// throws or writes an error), and Write-PodeErrorLog entries, are written in Pode's error format (Date, Level,
/// ThreadId, Server, Category, Message, StackTrace) when their level is one of -Levels (default Error). They still
/// reach Start-PodeServer's error stream too.</para>
/// <example>
///   <code>New-PodeLogTerminalMethod | Enable-PodeLogErrorType -Levels Error, Warning</code>
///   <para>Writes errors and warnings to the terminal.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsLifecycle.Enable, "PodeLogErrorType")]
[Alias("Enable-PodeErrorLogType")]
public sealed class EnablePodeLogErrorTypeCommand : EnableLogTypeCmdlet
{
    /// <summary><para type="description">Levels to log (default Error).</para></summary>
    [Parameter]
    [ValidateSet("Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Verbose", "Debug", "*")]
    public string[] Levels { get; set; } = ["Error"];

    /// <inheritdoc/>
    protected override void EndProcessing() => LogMethods.EnableErrors(Context, Methods, Levels);
}

/// <summary>
/// <para type="synopsis">Logs the server's errors (Pode's older name of Enable-PodeLogErrorType).</para>
/// <para type="description">Errors whose level is one of -Levels (default Error) are written to the method in
/// Pode's error format.</para>
/// <example>
///   <code>New-PodeLoggingMethod -Terminal | Enable-PodeErrorLogging</code>
///   <para>Writes errors to the terminal.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsLifecycle.Enable, "PodeErrorLogging")]
public sealed class EnablePodeErrorLoggingCommand : EnableLogTypeCmdlet
{
    /// <summary><para type="description">Levels to log (default Error).</para></summary>
    [Parameter]
    [ValidateSet("Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Verbose", "Debug", "*")]
    public string[] Levels { get; set; } = ["Error"];

    /// <inheritdoc/>
    protected override void EndProcessing() => LogMethods.EnableErrors(Context, Methods, Levels);
}

/// <summary>
/// <para type="synopsis">Logs every request that a route answers, in the Combined Log Format.</para>
/// <para type="description">One line per request: address, user, date, request line, status, size, referrer and
/// user agent. WebSocket upgrades through a route are logged with their status (101 when upgraded, or the
/// refusal's status). Requests the engine answers alone (static files, 404s, auto-upgrades) are not logged.</para>
/// <example>
///   <code>New-PodeLogFileMethod -Name 'requests' | Enable-PodeLogRequestType</code>
///   <para>Writes request lines to ./logs/requests_*.log.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsLifecycle.Enable, "PodeLogRequestType")]
[Alias("Enable-PodeRequestLogType")]
public sealed class EnablePodeLogRequestTypeCommand : EnableLogTypeCmdlet
{
    /// <inheritdoc/>
    protected override void EndProcessing() => LogMethods.EnableRequests(Context, Methods);
}

/// <summary>
/// <para type="synopsis">Logs every request that a route answers (Pode's older name of Enable-PodeLogRequestType).</para>
/// <para type="description">One Combined Log Format line per request, upgrades included.</para>
/// <example>
///   <code>New-PodeLoggingMethod -Terminal | Enable-PodeRequestLogging</code>
///   <para>Writes request lines to the terminal.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsLifecycle.Enable, "PodeRequestLogging")]
public sealed class EnablePodeRequestLoggingCommand : EnableLogTypeCmdlet
{
    /// <inheritdoc/>
    protected override void EndProcessing() => LogMethods.EnableRequests(Context, Methods);
}

/// <summary>
/// <para type="synopsis">Adds a named logger for Write-PodeLog.</para>
/// <para type="description">Items written with Write-PodeLog -Name go through the script block (param($item), then
/// -ArgumentList), and what it returns is written to the methods.</para>
/// <example>
///   <code>New-PodeLogTerminalMethod | Add-PodeLogger -Name 'Audit' -ScriptBlock { param($item) "$($item.User) did $($item.Action)" }</code>
///   <para>Then Write-PodeLog -Name 'Audit' -InputObject @{ User = 'rick'; Action = 'login' } writes "rick did login".</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommon.Add, "PodeLogger")]
public sealed class AddPodeLoggerCommand : EnableLogTypeCmdlet
{
    /// <summary><para type="description">The logger's name.</para></summary>
    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary><para type="description">Turns an item into the text to write: param($item, ...).</para></summary>
    [Parameter(Mandatory = true)]
    public ScriptBlock? ScriptBlock { get; set; }

    /// <summary><para type="description">Arguments passed to the script block after the item.</para></summary>
    [Parameter]
    public object?[]? ArgumentList { get; set; }

    /// <summary><para type="description">Levels the logger takes (default all).</para></summary>
    [Parameter]
    [ValidateSet("Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Verbose", "Debug", "*")]
    public string[] Levels { get; set; } = ["*"];

    /// <inheritdoc/>
    protected override void EndProcessing() =>
        Context.Logging.Enable(new Logger(Name, Methods, LogMethods.ExpandLevels(Levels), Capture(ScriptBlock, null, ArgumentList)));
}

/// <summary>
/// <para type="synopsis">Writes an item to a named logger (Add-PodeLogger).</para>
/// <para type="description">The item is queued and written by the server's logging runspace. A name that is not
/// a logger of the server is an error.</para>
/// <example>
///   <code>@{ User = 'rick'; Action = 'login' } | Write-PodeLog -Name 'Audit'</code>
///   <para>Logs an audit item.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommunications.Write, "PodeLog")]
public sealed class WritePodeLogCommand : PodeCmdlet
{
    /// <summary><para type="description">The logger's name.</para></summary>
    [Parameter(Mandatory = true)]
    public string[] Name { get; set; } = [];

    /// <summary><para type="description">The item's level (default Informational).</para></summary>
    [Parameter]
    [ValidateSet("Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Verbose", "Debug")]
    public string Level { get; set; } = "Informational";

    /// <summary><para type="description">The item.</para></summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [AllowNull]
    public object? InputObject { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        var logging = Context.Logging;
        foreach (var name in Name)
        {
            if (!logging.Write(name, Level, InputObject))
            {
                WriteError(new ErrorRecord(new ArgumentException($"There is no logger named '{name}': add it with Add-PodeLogger."), "LoggerNotFound", ErrorCategory.ObjectNotFound, name));
            }
        }
    }
}

/// <summary>
/// <para type="synopsis">Writes an exception or error record to the error log.</para>
/// <para type="description">Writes the entry to the error log type's methods when error logging is enabled and takes
/// -Level (default Error); otherwise does nothing, as in Pode.</para>
/// <example>
///   <code>try { Get-Item 'missing' -ErrorAction Stop } catch { $_ | Write-PodeErrorLog }</code>
///   <para>Logs the caught error.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsCommunications.Write, "PodeErrorLog", DefaultParameterSetName = "Exception")]
public sealed class WritePodeErrorLogCommand : PodeCmdlet
{
    /// <summary><para type="description">The exception to log.</para></summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = "Exception")]
    public Exception? Exception { get; set; }

    /// <summary><para type="description">The error record to log.</para></summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = "Error")]
    public ErrorRecord? ErrorRecord { get; set; }

    /// <summary><para type="description">The level (default Error).</para></summary>
    [Parameter]
    [ValidateSet("Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Verbose", "Debug")]
    public string Level { get; set; } = "Error";

    /// <summary><para type="description">Also log the exception's inner exception.</para></summary>
    [Parameter(ParameterSetName = "Exception")]
    public SwitchParameter CheckInnerException { get; set; }

    /// <inheritdoc/>
    protected override void ProcessRecord()
    {
        var logging = Context.Logging;
        if (ErrorRecord is not null)
        {
            logging.Error(ErrorRecord, Level);
            return;
        }
        for (var e = Exception; e is not null; e = CheckInnerException ? e.InnerException : null)
        {
            logging.Error(new ErrorRecord(e, e.GetType().Name, ErrorCategory.NotSpecified, null), Level);
        }
    }
}

/// <summary>What the logging cmdlets share.</summary>
internal static class LogMethods
{
    public static FileLogMethod File(PodeCmdlet cmdlet, string path, string name, int maxDays, long maxSize)
    {
        var full = System.IO.Path.IsPathRooted(path) ? path
            : System.IO.Path.GetFullPath(System.IO.Path.Combine(cmdlet.RootPathOrCurrent(), path));
        return new FileLogMethod(full, name, maxDays, maxSize);
    }

    public static string[] ExpandLevels(string[] levels) => levels.Contains("*") ? LoggingService.AllLevels : levels;

    public static void EnableErrors(PodeContext context, LogMethod[] methods, string[] levels) =>
        context.Logging.Enable(new Logger(LoggingService.ErrorsName, methods, ExpandLevels(levels), null));

    public static void EnableRequests(PodeContext context, LogMethod[] methods) =>
        context.Logging.Enable(new Logger(LoggingService.RequestsName, methods, LoggingService.AllLevels, null));
}
