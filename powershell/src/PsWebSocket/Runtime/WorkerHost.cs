using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Host;

namespace PsWebSocket.Runtime;

/// <summary>
/// The host of the worker runspaces: Start-PodeServer's host, passed through. Giving a
/// worker runspace the server's host object itself would make the runspaces share its
/// engine-side state: every pipeline a worker runs (opening it, importing modules)
/// resets the place where Start-PodeServer's pipeline collects warnings and verbose
/// lines, and they would reach the host but never the caller's Warning stream. Behind
/// this wrapper every runspace keeps its own.
/// </summary>
internal sealed class WorkerHost(PSHost server) : PSHost
{
    /// <inheritdoc/>
    public override string Name => server.Name;

    /// <inheritdoc/>
    public override Version Version => server.Version;

    /// <inheritdoc/>
    public override Guid InstanceId => server.InstanceId;

    /// <inheritdoc/>
    public override PSHostUserInterface? UI => server.UI;

    /// <inheritdoc/>
    public override CultureInfo CurrentCulture => server.CurrentCulture;

    /// <inheritdoc/>
    public override CultureInfo CurrentUICulture => server.CurrentUICulture;

    /// <inheritdoc/>
    public override PSObject? PrivateData => server.PrivateData;

    /// <inheritdoc/>
    public override void SetShouldExit(int exitCode) => server.SetShouldExit(exitCode);

    /// <inheritdoc/>
    public override void EnterNestedPrompt() => server.EnterNestedPrompt();

    /// <inheritdoc/>
    public override void ExitNestedPrompt() => server.ExitNestedPrompt();

    /// <inheritdoc/>
    public override void NotifyBeginApplication() => server.NotifyBeginApplication();

    /// <inheritdoc/>
    public override void NotifyEndApplication() => server.NotifyEndApplication();
}
