using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Management.Automation.Internal;
using System.Security;

namespace PsWebSocket.Module.Tests.Harness;

/// Minimal non-interactive PSHost: Out-Default / Write-Host / Write-Verbose text goes to a TextWriter.
public sealed class TextHost(TextWriter output, TextWriter? error = null) : PSHost
{
    private readonly Guid _id = Guid.NewGuid();
    private readonly TextUI _ui = new(output, error ?? output);
    public int? ExitCode { get; private set; }

    public override string Name => "PwshRunner";
    public override Version Version => new(0, 1);
    public override Guid InstanceId => _id;
    public override PSHostUserInterface UI => _ui;
    public override CultureInfo CurrentCulture => CultureInfo.InvariantCulture;
    public override CultureInfo CurrentUICulture => CultureInfo.InvariantCulture;
    public override void SetShouldExit(int exitCode) => ExitCode = exitCode; // `exit N` in a script
    public override void EnterNestedPrompt() => throw new NotSupportedException();
    public override void ExitNestedPrompt() => throw new NotSupportedException();
    public override void NotifyBeginApplication() { }
    public override void NotifyEndApplication() { }

    private sealed class TextUI(TextWriter o, TextWriter e) : PSHostUserInterface
    {
        private readonly RawUI _raw = new();
        public override PSHostRawUserInterface RawUI => _raw;
        // Table/list headers carry ANSI even with $PSStyle.OutputRendering = PlainText; ConsoleHost strips them itself.
        private static string Plain(string s) => s.Contains('\e') ? new StringDecorated(s).ToString(OutputRendering.PlainText) : s;
        public override void Write(string value) { lock (o) o.Write(Plain(value)); }
        public override void Write(ConsoleColor f, ConsoleColor b, string value) => Write(value);
        public override void WriteLine(string value) { lock (o) o.WriteLine(Plain(value)); }
        public override void WriteErrorLine(string value) { lock (e) e.WriteLine(Plain(value)); }
        public override void WriteDebugLine(string message) => WriteLine("DEBUG: " + message);
        public override void WriteVerboseLine(string message) => WriteLine("VERBOSE: " + message);
        public override void WriteWarningLine(string message) => WriteLine("WARNING: " + message);
        public override void WriteInformation(InformationRecord record) { } // Write-Host goes via Write()/WriteLine()
        public override void WriteProgress(long sourceId, ProgressRecord record) { }
        public override string ReadLine() => throw new NotSupportedException("non-interactive");
        public override SecureString ReadLineAsSecureString() => throw new NotSupportedException("non-interactive");
        public override Dictionary<string, PSObject> Prompt(string caption, string message, System.Collections.ObjectModel.Collection<FieldDescription> descriptions) => throw new NotSupportedException("non-interactive");
        public override int PromptForChoice(string caption, string message, System.Collections.ObjectModel.Collection<ChoiceDescription> choices, int defaultChoice) => throw new NotSupportedException("non-interactive");
        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) => throw new NotSupportedException("non-interactive");
        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName, PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options) => throw new NotSupportedException("non-interactive");
    }

    private sealed class RawUI : PSHostRawUserInterface
    {
        public override ConsoleColor ForegroundColor { get; set; } = ConsoleColor.Gray;
        public override ConsoleColor BackgroundColor { get; set; } = ConsoleColor.Black;
        public override Coordinates CursorPosition { get; set; }
        public override Coordinates WindowPosition { get; set; }
        public override int CursorSize { get; set; }
        // Width drives Format-Table/Format-List wrapping in Out-Default.
        public override Size BufferSize { get; set; } = new(120, 9999);
        public override Size WindowSize { get; set; } = new(120, 50);
        public override Size MaxWindowSize => new(120, 50);
        public override Size MaxPhysicalWindowSize => new(120, 50);
        public override bool KeyAvailable => false;
        public override string WindowTitle { get; set; } = "";
        public override KeyInfo ReadKey(ReadKeyOptions options) => throw new NotSupportedException();
        public override void FlushInputBuffer() { }
        public override BufferCell[,] GetBufferContents(Rectangle rectangle) => throw new NotSupportedException();
        public override void SetBufferContents(Coordinates origin, BufferCell[,] contents) => throw new NotSupportedException();
        public override void SetBufferContents(Rectangle rectangle, BufferCell fill) { }
        public override void ScrollBufferContents(Rectangle source, Coordinates destination, Rectangle clip, BufferCell fill) => throw new NotSupportedException();
    }
}
