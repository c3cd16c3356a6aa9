using System.Collections;
using System.Management.Automation;
using PsWebSocket.Interop;
using PsWebSocket.Runtime;

namespace PsWebSocket;

/// <summary>
/// Base of the module's cmdlets: finds the server of the calling runspace, the event
/// of the current route or handler, and turns engine failures into ErrorRecords with
/// a stable ErrorId and a category.
/// </summary>
public abstract class PodeCmdlet : PSCmdlet
{
    /// <summary>The server; a terminating error outside Start-PodeServer.</summary>
    protected PodeContext Context
    {
        get
        {
            try
            {
                return PodeContext.Of(SessionState);
            }
            catch (InvalidOperationException e)
            {
                ThrowTerminatingError(new ErrorRecord(e, "PodeServerNotFound", ErrorCategory.InvalidOperation, null));
                throw; // not reached
            }
        }
    }

    /// <summary>The server, or null outside one.</summary>
    protected PodeContext? ContextOrNull => SessionState.PSVariable.GetValue(PodeContext.VariableName) as PodeContext;

    /// <summary>The server's root folder, or the current folder outside a server.</summary>
    internal string RootPathOrCurrent() => ContextOrNull?.RootPath ?? SessionState.Path.CurrentFileSystemLocation.ProviderPath;

    /// <summary><c>$WebEvent</c> of the current route, if any.</summary>
    protected Hashtable? WebEvent => SessionState.PSVariable.GetValue("WebEvent") as Hashtable;

    /// <summary><c>$SignalEvent</c> of the current signal route, if any.</summary>
    protected Hashtable? SignalEvent => SessionState.PSVariable.GetValue("SignalEvent") as Hashtable;

    /// <summary><c>$WsEvent</c> of the current external connection handler, if any.</summary>
    protected Hashtable? WsEvent => SessionState.PSVariable.GetValue("WsEvent") as Hashtable;

    /// <summary>Stops the command with an error record.</summary>
    protected void Fail(string errorId, ErrorCategory category, object? target, string message) =>
        ThrowTerminatingError(new ErrorRecord(new InvalidOperationException(message), errorId, category, target));

    /// <summary>Runs an engine call; a failure stops the command with the engine's message.</summary>
    protected T Call<T>(Func<T> call, string errorId, object? target)
    {
        try
        {
            return call();
        }
        catch (PswsException e)
        {
            ThrowTerminatingError(new ErrorRecord(e, errorId, CategoryOf(e.Status), target));
            throw; // not reached
        }
    }

    /// <summary>Runs an engine call that returns nothing.</summary>
    protected void Call(Action call, string errorId, object? target) => Call(() => { call(); return 0; }, errorId, target);

    /// <summary>The PowerShell error category of an engine status.</summary>
    internal static ErrorCategory CategoryOf(PswsStatus status) => status switch
    {
        PswsStatus.InvalidArgument or PswsStatus.InvalidUtf8 or PswsStatus.NullArgument => ErrorCategory.InvalidArgument,
        PswsStatus.Bind => ErrorCategory.ResourceUnavailable,
        PswsStatus.Tls => ErrorCategory.SecurityError,
        PswsStatus.NotRunning or PswsStatus.AlreadyRunning or PswsStatus.Stopped or PswsStatus.RequestCompleted or PswsStatus.InCallback => ErrorCategory.InvalidOperation,
        PswsStatus.Route or PswsStatus.NameInUse => ErrorCategory.ResourceExists,
        PswsStatus.UpgradeRejected => ErrorCategory.ProtocolError,
        PswsStatus.BroadcastLevel => ErrorCategory.PermissionDenied,
        PswsStatus.UnknownName or PswsStatus.UnknownConnection or PswsStatus.UnknownClient => ErrorCategory.ObjectNotFound,
        PswsStatus.InvalidClientId => ErrorCategory.SecurityError,
        PswsStatus.NotConnected or PswsStatus.Connect => ErrorCategory.ConnectionError,
        PswsStatus.MessageTooLarge => ErrorCategory.LimitsExceeded,
        _ => ErrorCategory.NotSpecified,
    };

    /// <summary>A -FilePath as Pode resolves it: a relative path is relative to the server's root folder.</summary>
    protected string ScriptPath(string path) =>
        ContextOrNull is { } context && !Path.IsPathRooted(path) && !path.StartsWith('~') && !path.Contains(':')
            ? Path.GetFullPath(Path.Combine(context.RootPath, path))
            : path;

    /// <summary>Captures a -ScriptBlock or -FilePath with its $using: values and -ArgumentList.</summary>
    protected ScriptDef Capture(ScriptBlock? script, string? filePath, object?[]? arguments)
    {
        try
        {
            return script is not null ? ScriptDef.Capture(script, SessionState, arguments) : ScriptDef.FromFile(ScriptPath(filePath!), SessionState, arguments);
        }
        catch (FileNotFoundException e)
        {
            ThrowTerminatingError(new ErrorRecord(e, "ScriptFileNotFound", ErrorCategory.ObjectNotFound, filePath));
            throw; // not reached
        }
    }
}
