using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using PsWebSocket.Interop;
using PsWebSocket.Runtime;

namespace PsWebSocket.Completion;

/// <summary>
/// Tab completion of names that exist now, in every server running in this process (the prompt of
/// a session whose server runs in a background runspace or thread job, a debugger stopped in a
/// route, ...). A completer never fails: a server that stops meanwhile offers nothing.
/// </summary>
public abstract class ExistingNameCompleter : IArgumentCompleter
{
    /// <summary>The names of one server.</summary>
    private protected abstract IEnumerable<string> NamesOf(PodeContext context);

    /// <inheritdoc/>
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var prefix = wordToComplete.Trim('\'', '"');
        return RunningServers.All
            .SelectMany(Names)
            .Where(name => name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .Select(name => new CompletionResult(Quote(name), name, CompletionResultType.ParameterValue, name))
            .ToList();
    }

    private IEnumerable<string> Names(PodeContext context)
    {
        try
        {
            return NamesOf(context);
        }
        catch (Exception e) when (e is PswsException or ObjectDisposedException or InvalidOperationException)
        {
            return [];
        }
    }

    /// <summary>The name as a single-quoted string when it is not a bare word.</summary>
    private static string Quote(string name) =>
        name.Length > 0 && name.All(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' or '/')
            ? name
            : "'" + CodeGeneration.EscapeSingleQuotedStringContent(name) + "'";
}

/// <summary>Completes the Names of the signal connections open now.</summary>
public sealed class SignalNameCompleter : ExistingNameCompleter
{
    private protected override IEnumerable<string> NamesOf(PodeContext context) => context.Server.SignalNames();
}

/// <summary>Completes the Names of the external WebSocket connections (Connect-PodeWebSocket) registered now.</summary>
public sealed class WebSocketNameCompleter : ExistingNameCompleter
{
    private protected override IEnumerable<string> NamesOf(PodeContext context) => context.Clients?.Names() ?? [];
}
