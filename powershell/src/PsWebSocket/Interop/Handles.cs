using System.Runtime.InteropServices;

namespace PsWebSocket.Interop;

/// <summary>A psws_server; releasing it stops and frees the server.</summary>
internal sealed class ServerHandle : SafeHandle
{
    public ServerHandle() : base(IntPtr.Zero, ownsHandle: true) { }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle() => NativeMethods.psws_server_free(handle) == PswsStatus.Ok;
}

/// <summary>A psws_client; releasing it closes every connection and frees it.</summary>
internal sealed class ClientHandle : SafeHandle
{
    public ClientHandle() : base(IntPtr.Zero, ownsHandle: true) { }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle() => NativeMethods.psws_client_free(handle) == PswsStatus.Ok;
}

/// <summary>A psws_request from a REQUEST event; releasing it completes the request (500 if unanswered).</summary>
internal sealed class RequestHandle : SafeHandle
{
    public RequestHandle() : base(IntPtr.Zero, ownsHandle: true) { }
    public RequestHandle(IntPtr request) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(request);
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle() => NativeMethods.psws_request_free(handle) == PswsStatus.Ok;
}

/// <summary>A psws_list handed out by the library.</summary>
internal sealed class ListHandle : SafeHandle
{
    public ListHandle() : base(IntPtr.Zero, ownsHandle: true) { }
    public override bool IsInvalid => handle == IntPtr.Zero;
    protected override bool ReleaseHandle() => NativeMethods.psws_list_free(handle) == PswsStatus.Ok;
}
