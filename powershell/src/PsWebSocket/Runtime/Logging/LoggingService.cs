using System.Collections;
using System.Collections.Concurrent;
using System.Globalization;
using System.Management.Automation;

namespace PsWebSocket.Runtime.Logging;

/// <summary>A log type (errors, requests, or a named custom logger) and where its items go.</summary>
internal sealed record Logger(string Name, LogMethod[] Methods, string[] Levels, ScriptDef? Transform);

/// <summary>
/// The server's logging (Pode's Enable-PodeLog*Type and friends): log types write their items,
/// formatted as Pode formats them, to their methods. Items are queued to one writer
/// runspace, so a route that logs never waits for a file or a custom script block.
/// Every error of a route, signal route, event, timer or schedule reaches <see cref="Error"/>
/// through the server log.
/// </summary>
internal sealed class LoggingService(PodeContext server)
{
    /// <summary>Pode's internal name of the error log type.</summary>
    public const string ErrorsName = "__pode_log_errors__";

    /// <summary>Pode's internal name of the request log type.</summary>
    public const string RequestsName = "__pode_log_requests__";

    /// <summary>The levels Pode knows, most severe first.</summary>
    public static readonly string[] AllLevels = ["Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Verbose", "Debug"];

    private readonly ConcurrentDictionary<string, Logger> _loggers = new(StringComparer.OrdinalIgnoreCase);
    private readonly object _gate = new();
    private WorkerPool? _writer;

    /// <summary>True on the writer thread: errors of custom methods are not logged again (no loops).</summary>
    [ThreadStatic]
    private static bool _writing;

    /// <summary>Adds or replaces a log type.</summary>
    public void Enable(Logger logger) => _loggers[logger.Name] = logger;

    /// <summary>Removes a log type; false if it was not enabled.</summary>
    public bool Disable(string name) => _loggers.TryRemove(name, out _);

    /// <summary>True if the log type is enabled.</summary>
    public bool IsEnabled(string name) => _loggers.ContainsKey(name);

    /// <summary>Logs an error record at a level (default Error) when error logging takes that level.</summary>
    public void Error(ErrorRecord record, string level = "Error")
    {
        if (_writing || !_loggers.TryGetValue(ErrorsName, out var logger) || !logger.Levels.Contains(level, StringComparer.OrdinalIgnoreCase))
        {
            return;
        }
        var item = new Hashtable(StringComparer.OrdinalIgnoreCase)
        {
            ["Category"] = record.CategoryInfo.ToString(),
            ["Message"] = record.Exception?.Message ?? record.ToString(),
            ["StackTrace"] = record.ScriptStackTrace ?? record.Exception?.StackTrace,
            ["Server"] = Environment.MachineName,
            ["Level"] = level,
            ["Date"] = DateTime.Now,
            ["ThreadId"] = Environment.CurrentManagedThreadId,
        };
        Post(logger, item, FormatError(item));
    }

    /// <summary>Logs a finished request (Combined Log Format) when request logging is on.</summary>
    public void Request(PodeRequest request, int status, long size, string? user)
    {
        if (!_loggers.TryGetValue(RequestsName, out var logger))
        {
            return;
        }
        var item = new Hashtable(StringComparer.OrdinalIgnoreCase)
        {
            ["Host"] = request.RemoteEndPoint.Address.ToString(),
            ["RfcUserIdentity"] = "-",
            ["User"] = string.IsNullOrEmpty(user) ? "-" : user,
            ["Date"] = DateTime.Now,
            ["Request"] = new Hashtable(StringComparer.OrdinalIgnoreCase)
            {
                ["Method"] = request.HttpMethod.ToUpperInvariant(),
                ["Resource"] = request.RawUrl,
                ["Protocol"] = "HTTP/1.1",
                ["Referrer"] = request.Headers["Referer"] as string ?? "-",
                ["Agent"] = request.UserAgent is { Length: > 0 } agent ? agent : "-",
            },
            ["Response"] = new Hashtable(StringComparer.OrdinalIgnoreCase) { ["StatusCode"] = status, ["Size"] = size },
        };
        Post(logger, item, FormatRequest(item));
    }

    /// <summary>Writes an item to a custom logger (Write-PodeLog); false if no such logger is enabled.</summary>
    public bool Write(string name, string level, object? item)
    {
        if (!_loggers.TryGetValue(name, out var logger))
        {
            return false;
        }
        if (logger.Levels.Contains(level, StringComparer.OrdinalIgnoreCase))
        {
            Post(logger, item, LanguagePrimitives.ConvertTo<string>(item) ?? "");
        }
        return true;
    }

    private void Post(Logger logger, object? item, string text)
    {
        var writer = Writer();
        if (writer is null || !writer.TryPost(w => WriteItem(w, logger, item, text)))
        {
            server.Log.Warning($"A log item for '{logger.Name}' was dropped: the logging queue is full or the server is stopping.");
        }
    }

    /// <summary>The writer runspace, started with the first item.</summary>
    private WorkerPool? Writer()
    {
        lock (_gate)
        {
            if (_writer is null && !server.Stopping.IsCancellationRequested)
            {
                _writer = server.NewPool("Logging", 1);
            }
            return _writer;
        }
    }

    private void WriteItem(Worker worker, Logger logger, object? item, string text)
    {
        _writing = true;
        try
        {
            if (logger.Transform is not null && worker.Invoke(logger.Transform, [], out var output, [item]))
            {
                text = string.Join(Environment.NewLine, output.Select(o => o?.ToString()));
                item = text;
            }
            var context = new LogContext(server, worker);
            foreach (var method in logger.Methods)
            {
                try
                {
                    method.Write(context, text, item);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    server.Log.Warning($"The {method.Type} log method of '{logger.Name}' failed: {e.Message}");
                }
            }
        }
        finally
        {
            _writing = false;
        }
    }

    /// <summary>Pode's error log entry: one "Key: value" line per field.</summary>
    internal static string FormatError(Hashtable item) => string.Join(Environment.NewLine,
        $"Date: {(DateTime)item["Date"]!:yyyy-MM-dd HH:mm:ss}",
        $"Level: {item["Level"]}",
        $"ThreadId: {item["ThreadId"]}",
        $"Server: {item["Server"]}",
        $"Category: {item["Category"]}",
        $"Message: {item["Message"]}",
        $"StackTrace: {item["StackTrace"]}");

    /// <summary>The Combined Log Format line Pode writes for a request.</summary>
    internal static string FormatRequest(Hashtable item)
    {
        var request = (Hashtable)item["Request"]!;
        var response = (Hashtable)item["Response"]!;
        var date = ((DateTime)item["Date"]!).ToString("dd/MMM/yyyy:HH:mm:ss zzz", CultureInfo.InvariantCulture);
        return $"{item["Host"]} {item["RfcUserIdentity"]} {item["User"]} [{date}] \"{request["Method"]} {request["Resource"]} {request["Protocol"]}\" "
            + $"{response["StatusCode"]} {response["Size"]} \"{request["Referrer"]}\" \"{request["Agent"]}\"";
    }
}
