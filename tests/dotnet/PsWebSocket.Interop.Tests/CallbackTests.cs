using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PsWebSocket.Interop.Tests;

/// <summary>
/// What a callback may and may not call on its own object (ffi/README.md, "Callbacks"), with
/// a raw callback on a raw psws_server; and psws_status_text, which NativeMethods does not
/// declare, through the loaded library's export.
/// </summary>
public sealed class CallbackTests
{
    private const PswsStatus InCallback = (PswsStatus)27; // PSWS_STATUS_IN_CALLBACK

    private sealed record Outcome(PswsStatus SetCallback, string SetCallbackError, PswsStatus Free, string FreeError, PswsStatus SendDirect, PswsStatus Count, nuint CountValue);

    private sealed class Probe(ServerHandle server, IntPtr raw)
    {
        public ServerHandle Server { get; } = server;
        public IntPtr Raw { get; } = raw;
        public TaskCompletionSource<Outcome> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static unsafe void OnEvent(IntPtr userdata, psws_event* e)
    {
        try
        {
            if ((EventKind)e->kind != EventKind.Connect || GCHandle.FromIntPtr(userdata).Target is not Probe probe)
            {
                return;
            }
            // Refused: they would wait for this very call.
            var set = NativeMethods.psws_server_set_callback(probe.Server, null, IntPtr.Zero);
            var setError = Harness.Raw.LastError();
            var free = NativeMethods.psws_server_free(probe.Raw);
            var freeError = Harness.Raw.LastError();
            // Allowed: short non-blocking calls.
            var payload = "from inside the callback"u8;
            PswsStatus send;
            fixed (byte* p = payload)
            {
                send = NativeMethods.psws_server_send_direct(probe.Server, e->connection->id, p, (nuint)payload.Length, false);
            }
            var count = NativeMethods.psws_server_signal_count(probe.Server, default, out var value);
            probe.Done.TrySetResult(new Outcome(set, setError, free, freeError, send, count, value));
        }
        catch (Exception ex)
        {
            if (GCHandle.FromIntPtr(userdata).Target is Probe probe)
            {
                probe.Done.TrySetException(ex);
            }
        }
    }

    private static unsafe PswsStatus Install(ServerHandle server, IntPtr userdata) => NativeMethods.psws_server_set_callback(server, &OnEvent, userdata);

    [Fact]
    public async Task OwnCallbackCannotReplaceOrFreeButCanSend()
    {
        using var cts = Limits.Token();
        var server = Raw.NewServer();
        var probe = new Probe(server, server.DangerousGetHandle());
        var self = GCHandle.Alloc(probe);
        var finished = false;
        try
        {
            Assert.Equal(PswsStatus.Ok, Install(server, GCHandle.ToIntPtr(self)));
            using (var a = new ArgBuffer())
            {
                var endpoint = new psws_endpoint { name = a.Str("ws"), protocol = (uint)NativeProtocol.Ws, address = a.Str("127.0.0.1"), port = 0 };
                Native.Check(NativeMethods.psws_server_add_endpoint(server, endpoint));
            }
            Native.Check(NativeMethods.psws_server_start(server, out _));
            Native.Check(NativeMethods.psws_server_endpoint(server, 0, out var bound));

            using var socket = WsClient.Create();
            await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{bound.port}/inside"), cts.Token);
            var outcome = await probe.Done.Task.WaitAsync(cts.Token);
            finished = true;

            Assert.Equal(InCallback, outcome.SetCallback);
            Assert.Equal("psws_server_set_callback cannot be called from the object's own callback", outcome.SetCallbackError);
            Assert.Equal(InCallback, outcome.Free);
            Assert.Equal("psws_server_free cannot be called from the object's own callback", outcome.FreeError);
            Assert.Equal(PswsStatus.Ok, outcome.SendDirect);
            Assert.Equal(PswsStatus.Ok, outcome.Count);
            Assert.Equal((nuint)1, outcome.CountValue);

            // The refused free did nothing: the server still serves and the message arrives.
            Assert.Equal("from inside the callback", await socket.ReceiveTextAsync(cts.Token));
            Assert.Equal(PswsStatus.Ok, NativeMethods.psws_server_signing_enabled(server, out _));
        }
        finally
        {
            if (finished || probe.Done.Task.IsCompleted)
            {
                server.Dispose(); // from the test thread: frees, after the callback returned
                self.Free();
            }
            else
            {
                // The callback never finished: freeing would wait for it. Leak rather than hang.
                server.SetHandleAsInvalid();
            }
        }
        var freedTwice = NativeMethods.psws_server_free(probe.Raw);
        Assert.Equal(PswsStatus.InvalidHandle, freedTwice);
    }

    private static unsafe string StatusText(uint status)
    {
        _ = NativeMethods.psws_abi_version(); // loads libpsws through the module's resolver
        var path = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libpsws.so");
        var library = NativeLibrary.Load(path); // the same library, already loaded
        var text = (delegate* unmanaged[Cdecl]<uint, psws_str>)NativeLibrary.GetExport(library, "psws_status_text");
        return text(status).ToString();
    }

    [Fact]
    public void StatusTextDescribesEveryStatus()
    {
        Assert.Equal("success", StatusText(0));
        Assert.Equal("a required pointer argument is NULL", StatusText((uint)PswsStatus.NullArgument));
        Assert.Equal("the buffer is too small; the required length was returned", StatusText((uint)PswsStatus.BufferTooSmall));
        Assert.Equal("not allowed inside the object's own callback", StatusText(27));
        foreach (var status in Enum.GetValues<PswsStatus>())
        {
            Assert.NotEqual("unknown status", StatusText((uint)status));
        }
        Assert.Equal("unknown status", StatusText(7));
        Assert.Equal("unknown status", StatusText(9999));
    }
}
