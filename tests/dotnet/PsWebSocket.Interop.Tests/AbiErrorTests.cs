using System.Text;

namespace PsWebSocket.Interop.Tests;

/// <summary>
/// Misuse at the ABI level, through NativeMethods directly: every case is a status code
/// with a message in psws_last_error(), never a crash. Status and message are read on
/// the calling thread right after the call (the last error is per thread).
/// </summary>
public sealed unsafe class AbiErrorTests
{
    private static void Expect(PswsStatus expected, PswsStatus actual, string messageFragment)
    {
        var message = Raw.LastError();
        Assert.True(expected == actual, $"expected {expected}, got {actual} ({message})");
        Assert.Contains(messageFragment, message);
    }

    [Fact]
    public void ServerFreedTwiceIsInvalidHandle()
    {
        var server = Raw.NewServer();
        var raw = server.DangerousGetHandle();
        server.SetHandleAsInvalid(); // freed by hand below
        Assert.Equal(PswsStatus.Ok, NativeMethods.psws_server_free(raw));
        Expect(PswsStatus.InvalidHandle, NativeMethods.psws_server_free(raw), "the psws_server handle is not live");
        Expect(PswsStatus.InvalidHandle, Raw.With<ServerHandle>(raw, h => NativeMethods.psws_server_start(h, out _)), "not live");
        Expect(PswsStatus.InvalidHandle, Raw.With<ServerHandle>(raw, h => NativeMethods.psws_server_signing_enabled(h, out _)), "not live");
    }

    [Fact]
    public void ServerHandleUsedAfterDisposeThrowsObjectDisposed()
    {
        var server = Raw.NewServer();
        server.Dispose();
        Assert.True(server.IsClosed);
        Assert.Throws<ObjectDisposedException>(() => NativeMethods.psws_server_start(server, out _));
    }

    [Fact]
    public void NativeServerUsedAfterDisposeThrowsObjectDisposed()
    {
        var server = new NativeServer(new ServerSettings(NativeScope.Global), _ => { });
        server.Dispose();
        Assert.Throws<ObjectDisposedException>(() => server.SignalNames());
    }

    [Fact]
    public void NullHandleIsNullArgument()
    {
        Expect(PswsStatus.NullArgument, Raw.With<ServerHandle>(IntPtr.Zero, h => NativeMethods.psws_server_start(h, out _)), "the psws_server handle is NULL");
        Expect(PswsStatus.NullArgument, Raw.With<ServerHandle>(IntPtr.Zero, h => NativeMethods.psws_server_stop(h)), "NULL");
        Expect(PswsStatus.NullArgument, Raw.With<ListHandle>(IntPtr.Zero, h => NativeMethods.psws_list_len(h, out _)), "the psws_list handle is NULL");
        Expect(PswsStatus.NullArgument, Raw.With<RequestHandle>(IntPtr.Zero, h => NativeMethods.psws_request_get_info(h, out _)), "the psws_request handle is NULL");
        Expect(PswsStatus.NullArgument, Raw.With<ClientHandle>(IntPtr.Zero, h => NativeMethods.psws_client_names(h, out _)), "the psws_client handle is NULL");
        // Freeing NULL is a no-op.
        Assert.Equal(PswsStatus.Ok, NativeMethods.psws_server_free(IntPtr.Zero));
        Assert.Equal(PswsStatus.Ok, NativeMethods.psws_list_free(IntPtr.Zero));
        Assert.Equal(PswsStatus.Ok, NativeMethods.psws_request_free(IntPtr.Zero));
        Assert.Equal(PswsStatus.Ok, NativeMethods.psws_client_free(IntPtr.Zero));
    }

    [Theory]
    [InlineData(0x1234L)]
    [InlineData(0x7000_0008L)] // between issued numbers (they step by 16)
    [InlineData(-16L)]
    public void MadeUpHandleIsInvalidHandle(long value)
    {
        var raw = (IntPtr)value;
        Expect(PswsStatus.InvalidHandle, Raw.With<ServerHandle>(raw, h => NativeMethods.psws_server_start(h, out _)), "the psws_server handle is not live (freed, or never created)");
        Expect(PswsStatus.InvalidHandle, Raw.With<ListHandle>(raw, h => NativeMethods.psws_list_len(h, out _)), "the psws_list handle is not live");
        Expect(PswsStatus.InvalidHandle, NativeMethods.psws_server_free(raw), "not live");
        Expect(PswsStatus.InvalidHandle, NativeMethods.psws_request_free(raw), "not live");
    }

    [Fact]
    public void HandleOfAnotherKindIsInvalidHandleAndIsNotFreed()
    {
        using var server = Raw.NewServer();
        Assert.Equal(PswsStatus.Ok, NativeMethods.psws_server_signal_names(server, out var list));
        using (list)
        {
            var listRaw = list.DangerousGetHandle();
            var serverRaw = server.DangerousGetHandle();

            // A list passed as a server.
            Expect(PswsStatus.InvalidHandle, Raw.With<ServerHandle>(listRaw, h => NativeMethods.psws_server_start(h, out _)), "the handle is a psws_list, not a psws_server");
            Expect(PswsStatus.InvalidHandle, Raw.With<ServerHandle>(listRaw, h => NativeMethods.psws_server_signal_count(h, default, out _)), "psws_list, not a psws_server");
            Expect(PswsStatus.InvalidHandle, NativeMethods.psws_server_free(listRaw), "the handle is a psws_list, not a psws_server");
            // ... and the wrong _free left it alive.
            Assert.Equal(PswsStatus.Ok, NativeMethods.psws_list_len(list, out var length));
            Assert.Equal((nuint)0, length);

            // A server passed as a list, a request and a client.
            Expect(PswsStatus.InvalidHandle, Raw.With<ListHandle>(serverRaw, h => NativeMethods.psws_list_len(h, out _)), "the handle is a psws_server, not a psws_list");
            Expect(PswsStatus.InvalidHandle, Raw.With<RequestHandle>(serverRaw, h => NativeMethods.psws_request_get_info(h, out _)), "the handle is a psws_server, not a psws_request");
            Expect(PswsStatus.InvalidHandle, Raw.With<ClientHandle>(serverRaw, h => NativeMethods.psws_client_names(h, out _)), "the handle is a psws_server, not a psws_client");
            Expect(PswsStatus.InvalidHandle, NativeMethods.psws_list_free(serverRaw), "psws_server, not a psws_list");
            Expect(PswsStatus.InvalidHandle, NativeMethods.psws_request_free(serverRaw), "psws_server, not a psws_request");
            Expect(PswsStatus.InvalidHandle, NativeMethods.psws_client_free(serverRaw), "psws_server, not a psws_client");
            Assert.Equal(PswsStatus.Ok, NativeMethods.psws_server_signing_enabled(server, out var enabled));
            Assert.False(enabled);
        }
    }

    [Fact]
    public void ListFreedTwiceIsInvalidHandle()
    {
        using var server = Raw.NewServer();
        Assert.Equal(PswsStatus.Ok, NativeMethods.psws_server_signal_names(server, out var list));
        var raw = list.DangerousGetHandle();
        list.SetHandleAsInvalid();
        Assert.Equal(PswsStatus.Ok, NativeMethods.psws_list_free(raw));
        Expect(PswsStatus.InvalidHandle, NativeMethods.psws_list_free(raw), "the psws_list handle is not live");
        Expect(PswsStatus.InvalidHandle, Raw.With<ListHandle>(raw, h => NativeMethods.psws_list_get(h, 0, out _)), "not live");
    }

    [Fact]
    public void InvalidUtf8IsRefused()
    {
        using var server = Raw.NewServer();
        byte[][] samples =
        [
            [0xff, 0xfe],             // never valid
            [(byte)'a', (byte)'b', 0xc3], // truncated sequence
            [0xc0, 0xaf],             // overlong '/'
            [0xed, 0xa0, 0x80],       // UTF-16 surrogate
        ];
        var path = Encoding.UTF8.GetBytes("/ok");
        foreach (var sample in samples)
        {
            fixed (byte* bad = sample)
            fixed (byte* ok = path)
            {
                var badStr = Raw.Str(bad, sample.Length);
                var okStr = Raw.Str(ok, path.Length);
                var get = Encoding.UTF8.GetBytes("GET");
                fixed (byte* g = get)
                {
                    Expect(PswsStatus.InvalidUtf8, NativeMethods.psws_server_add_route(server, Raw.Str(g, get.Length), badStr, null, 0, out _), "path is not valid UTF-8");
                }
                Expect(PswsStatus.InvalidUtf8, NativeMethods.psws_server_add_route(server, badStr, okStr, null, 0, out _), "method is not valid UTF-8");
                Expect(PswsStatus.InvalidUtf8, NativeMethods.psws_server_enable_signing(server, badStr, false), "secret is not valid UTF-8");
                Expect(PswsStatus.InvalidUtf8, NativeMethods.psws_server_test_client_id(server, badStr, default, default, out _, out _), "id is not valid UTF-8");
                // One bad item in an array of strings.
                var endpoints = new psws_str[] { okStr, badStr };
                fixed (psws_str* items = endpoints)
                {
                    Expect(PswsStatus.InvalidUtf8, NativeMethods.psws_server_add_signal_route(server, okStr, items, 2, out _), "not valid UTF-8");
                }
            }
        }
        // Nothing was registered by the refused calls.
        Assert.Equal(PswsStatus.Ok, NativeMethods.psws_server_signing_enabled(server, out var enabled));
        Assert.False(enabled);
    }

    [Fact]
    public void NullPointerWithALengthIsNullArgument()
    {
        using var server = Raw.NewServer();
        var nullWithLength = new psws_str { ptr = null, len = 5 };
        Expect(PswsStatus.NullArgument, NativeMethods.psws_server_add_signal_route(server, nullWithLength, null, 0, out _), "is NULL but its length is 5");
        Expect(PswsStatus.NullArgument, NativeMethods.psws_server_add_signal_route(server, default, null, 3, out _), "is NULL but its count is 3");
        // {NULL, 0} is the empty string, which is fine where empty is allowed.
        Assert.Equal(PswsStatus.Ok, NativeMethods.psws_server_signal_count(server, default, out var count));
        Assert.Equal((nuint)0, count);
    }

    [Fact]
    public void InvalidEnumIsInvalidArgument()
    {
        using var server = Raw.NewServer();
        Expect(PswsStatus.InvalidArgument, NativeMethods.psws_server_set_broadcast_level(server, default, 9), "9");
        Expect(PswsStatus.InvalidArgument, NativeMethods.psws_server_set_default_scope(server, 7), "7");
        var endpoint = new psws_endpoint { protocol = 42, port = 0 };
        Expect(PswsStatus.InvalidArgument, NativeMethods.psws_server_add_endpoint(server, endpoint), "42");
    }

    [Fact]
    public void NewClientIdBufferTooSmallGivesTheNeededLength()
    {
        using var server = Raw.NewServer();
        var requested = Encoding.UTF8.GetBytes("client-0123456789"); // 17 bytes, kept as is while signing is off
        var buffer = new byte[32];
        Array.Fill(buffer, (byte)0xAA);
        fixed (byte* r = requested)
        fixed (byte* b = buffer)
        {
            var id = Raw.Str(r, requested.Length);

            // Too small: BUFFER_TOO_SMALL, the needed length written, the buffer untouched.
            var status = NativeMethods.psws_server_new_client_id(server, id, default, default, b, 4, out var needed);
            Expect(PswsStatus.BufferTooSmall, status, "the buffer holds 4 bytes; 17 are needed");
            Assert.Equal((nuint)17, needed);
            Assert.All(buffer, x => Assert.Equal(0xAA, x));

            // The size query: NULL and 0.
            Expect(PswsStatus.BufferTooSmall, NativeMethods.psws_server_new_client_id(server, id, default, default, null, 0, out needed), "the buffer holds 0 bytes; 17 are needed");
            Assert.Equal((nuint)17, needed);

            // Exactly the length: the text, no NUL.
            Assert.Equal(PswsStatus.Ok, NativeMethods.psws_server_new_client_id(server, id, default, default, b, 17, out var length));
            Assert.Equal((nuint)17, length);
            Assert.Equal("client-0123456789", Encoding.UTF8.GetString(buffer, 0, 17));
            Assert.Equal(0xAA, buffer[17]);

            // Room for a NUL: appended.
            Assert.Equal(PswsStatus.Ok, NativeMethods.psws_server_new_client_id(server, id, default, default, b, 32, out length));
            Assert.Equal((nuint)17, length);
            Assert.Equal(0, buffer[17]);

            // A fresh id (a GUID) needs 36 bytes.
            Expect(PswsStatus.BufferTooSmall, NativeMethods.psws_server_new_client_id(server, default, default, default, b, 8, out needed), "the buffer holds 8 bytes; 36 are needed");
            Assert.Equal((nuint)36, needed);
        }
    }

    [Fact]
    public void CallsBeforeStartAreNotRunningAndAfterStopAreStopped()
    {
        using var server = Raw.NewServer();
        var payload = "x"u8.ToArray();
        fixed (byte* p = payload)
        {
            Expect(PswsStatus.NotRunning, NativeMethods.psws_server_send(server, null, 0, null, 0, null, 0, p, 1, out _), "not running");

            var name = "ws"u8.ToArray();
            var address = "127.0.0.1"u8.ToArray();
            fixed (byte* n = name)
            fixed (byte* a = address)
            {
                var endpoint = new psws_endpoint { name = Raw.Str(n, name.Length), protocol = (uint)NativeProtocol.Ws, address = Raw.Str(a, address.Length), port = 0 };
                Assert.Equal(PswsStatus.Ok, NativeMethods.psws_server_add_endpoint(server, endpoint));
                Assert.Equal(PswsStatus.Ok, NativeMethods.psws_server_start(server, out var count));
                Assert.Equal((nuint)1, count);
                Assert.Equal(PswsStatus.Ok, NativeMethods.psws_server_endpoint(server, 0, out var bound));
                Assert.NotEqual(0, bound.port);
                Expect(PswsStatus.InvalidArgument, NativeMethods.psws_server_endpoint(server, 1, out _), "there is no bound endpoint 1");
                Expect(PswsStatus.AlreadyRunning, NativeMethods.psws_server_start(server, out _), "already running");
                Expect(PswsStatus.AlreadyRunning, NativeMethods.psws_server_add_endpoint(server, endpoint), "already running");
                Assert.Equal(PswsStatus.Ok, NativeMethods.psws_server_send(server, null, 0, null, 0, null, 0, p, 1, out var reached));
                Assert.Equal((nuint)0, reached);

                Assert.Equal(PswsStatus.Ok, NativeMethods.psws_server_stop(server));
                Expect(PswsStatus.Stopped, NativeMethods.psws_server_send(server, null, 0, null, 0, null, 0, p, 1, out _), "the server has been stopped");
                Expect(PswsStatus.Stopped, NativeMethods.psws_server_send_direct(server, 1, p, 1, false), "stopped");
                Expect(PswsStatus.Stopped, NativeMethods.psws_server_close_connection(server, 1, 1000, default), "stopped");
                Expect(PswsStatus.Stopped, NativeMethods.psws_server_start(server, out _), "stopped");
                Expect(PswsStatus.Stopped, NativeMethods.psws_server_add_endpoint(server, endpoint), "stopped");
                // Stop is idempotent; the handle stays valid until freed.
                Assert.Equal(PswsStatus.Ok, NativeMethods.psws_server_stop(server));
                Assert.Equal(PswsStatus.Ok, NativeMethods.psws_server_signing_enabled(server, out _));
            }
        }
    }

    [Fact]
    public void NativeServerAfterStopThrowsStopped()
    {
        using var server = TestServer.Start();
        server.Server.Stop();
        var error = Assert.Throws<PswsException>(() => server.Server.Send(["x"], null, null, "hello"));
        Assert.Equal(PswsStatus.Stopped, error.Status);
        Assert.Equal("the server has been stopped", error.Message);
    }

    [Fact]
    public void LastErrorBelongsToTheThreadAndSurvivesSuccessfulCalls()
    {
        using var server = Raw.NewServer();
        Expect(PswsStatus.InvalidArgument, NativeMethods.psws_server_set_broadcast_level(server, default, 9), "9");
        var before = Raw.LastError();
        Assert.Equal(PswsStatus.Ok, NativeMethods.psws_server_signing_enabled(server, out _));
        Assert.Equal(before, Raw.LastError());

        string? other = null;
        var thread = new Thread(() => other = Raw.LastError());
        thread.Start();
        Assert.True(thread.Join(Limits.Wait));
        Assert.Equal("", other);
        Assert.Equal(before, Raw.LastError());
    }
}
