using System.Reflection;
using System.Runtime.InteropServices;

namespace PsWebSocket.Interop.Tests.Harness;

/// <summary>Raw ABI helpers: handles built from arbitrary numbers, strings built byte by byte.</summary>
internal static unsafe class Raw
{
    /// <summary>
    /// Calls <paramref name="call"/> with a SafeHandle of type <typeparamref name="T"/> that
    /// carries the raw value <paramref name="raw"/> (which may be NULL, forged, freed or of
    /// another kind); the wrapper never frees it.
    /// </summary>
    public static PswsStatus With<T>(IntPtr raw, Func<T, PswsStatus> call) where T : SafeHandle, new()
    {
        var handle = new T();
        Marshal.InitHandle(handle, raw);
        try
        {
            return call(handle);
        }
        finally
        {
            handle.SetHandleAsInvalid();
        }
    }

    /// <summary>psws_last_error() of this thread, as text.</summary>
    public static string LastError() => NativeMethods.psws_last_error().ToString();

    /// <summary>A new server straight from psws_server_new (default config).</summary>
    public static ServerHandle NewServer()
    {
        Assert.Equal(PswsStatus.Ok, NativeMethods.psws_server_config_default(out var config));
        Assert.Equal(PswsStatus.Ok, NativeMethods.psws_server_new(config, out var server));
        Assert.False(server.IsInvalid);
        return server;
    }

    /// <summary>A psws_str over pinned bytes (valid while <paramref name="bytes"/> stays pinned).</summary>
    public static psws_str Str(byte* bytes, int length) => new() { ptr = bytes, len = (nuint)length };

    /// <summary>The repository root recorded at build time.</summary>
    public static string RepoRoot =>
        typeof(Raw).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!;
}
