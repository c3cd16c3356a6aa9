using System.Reflection;
using System.Runtime.InteropServices;

namespace PsWebSocket.Interop;

/// <summary>
/// Finds libpsws for the module: PowerShell probes the host application's folders, not
/// the module's, so the module points the loader at <c>runtimes/&lt;rid&gt;/native</c> beside
/// its assembly. <c>PSWS_NATIVE_LIBRARY</c> (a full path) overrides the search. A library of
/// another ABI version is refused (<see cref="AbiVersion"/>).
/// </summary>
internal static class LibraryResolver
{
    private static int _registered;

    /// <summary>Registers the resolver once per process (the runtime allows only one).</summary>
    internal static void Register()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 0)
        {
            NativeLibrary.SetDllImportResolver(typeof(LibraryResolver).Assembly, Resolve);
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != NativeMethods.Library)
        {
            return IntPtr.Zero;
        }
        foreach (var candidate in Candidates(assembly))
        {
            if (NativeLibrary.TryLoad(candidate, out var handle))
            {
                return AbiVersion.Verified(handle, candidate);
            }
        }
        return IntPtr.Zero; // default probing, then DllNotFoundException naming the library
    }

    private static IEnumerable<string> Candidates(Assembly assembly)
    {
        if (Environment.GetEnvironmentVariable("PSWS_NATIVE_LIBRARY") is { Length: > 0 } explicitPath)
        {
            yield return explicitPath;
        }
        var dir = Path.GetDirectoryName(assembly.Location) ?? AppContext.BaseDirectory;
        var file = OperatingSystem.IsWindows() ? "psws.dll" : OperatingSystem.IsMacOS() ? "libpsws.dylib" : "libpsws.so";
        var os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
        var rid = $"{os}-{RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant()}";
        yield return Path.Combine(dir, "runtimes", rid, "native", file);
        yield return Path.Combine(dir, file);
    }
}
