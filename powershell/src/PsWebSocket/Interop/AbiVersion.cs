using System.Runtime.InteropServices;

namespace PsWebSocket.Interop;

/// <summary>
/// The ABI this module was built against (PSWS_ABI_VERSION in ffi/include/psws.h), checked when
/// libpsws is loaded so that a library of another version is refused before any call is made.
/// </summary>
internal static class AbiVersion
{
    /// <summary>The version of psws.h the imports in <see cref="NativeMethods"/> follow.</summary>
    internal const uint Expected = 1;

    /// <summary>Returns <paramref name="handle"/> when the library at <paramref name="path"/> has the expected ABI; otherwise frees it and throws.</summary>
    internal static unsafe IntPtr Verified(IntPtr handle, string path)
    {
        uint actual = NativeLibrary.TryGetExport(handle, "psws_abi_version", out var export)
            ? ((delegate* unmanaged<uint>)export)()
            : 0;
        if (actual == Expected)
        {
            return handle;
        }
        NativeLibrary.Free(handle);
        throw new DllNotFoundException(actual == 0
            ? $"'{path}' is not libpsws: it has no psws_abi_version. The PsWebSocket module needs libpsws ABI version {Expected}."
            : $"'{path}' implements libpsws ABI version {actual}, but this PsWebSocket module needs ABI version {Expected}: install the module and its native library together.");
    }
}
