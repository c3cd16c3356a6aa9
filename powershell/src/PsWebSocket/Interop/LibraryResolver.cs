using System.Reflection;
using System.Runtime.InteropServices;

namespace PsWebSocket.Interop;

/// <summary>The operating systems the module ships an engine for.</summary>
internal enum NativeOs
{
    Windows,
    Linux,
    MacOS,
}

/// <summary>
/// Finds libpsws for the module: PowerShell probes the host application's folders, not
/// the module's, so the module loads <c>runtimes/&lt;rid&gt;/native/&lt;library&gt;</c> beside its
/// assembly, the RID chosen from the running OS and process architecture (win-x64, win-arm64,
/// linux-x64, linux-arm64, osx-x64, osx-arm64). <c>PSWS_NATIVE_LIBRARY</c> (a full path)
/// overrides the search. A missing library is an error that names the RID and the folder; a
/// library of another ABI version is refused (<see cref="AbiVersion"/>).
/// </summary>
internal static class LibraryResolver
{
    /// <summary>The RIDs the module can ship an engine for.</summary>
    internal static readonly string[] Supported = ["win-x64", "win-arm64", "linux-x64", "linux-arm64", "osx-x64", "osx-arm64"];

    private static int _registered;

    /// <summary>Registers the resolver once per process (the runtime allows only one).</summary>
    internal static void Register()
    {
        if (Interlocked.Exchange(ref _registered, 1) == 0)
        {
            NativeLibrary.SetDllImportResolver(typeof(LibraryResolver).Assembly, Resolve);
        }
    }

    /// <summary>The running OS, or null for one the module has no engine for.</summary>
    internal static NativeOs? CurrentOs =>
        OperatingSystem.IsWindows() ? NativeOs.Windows
        : OperatingSystem.IsMacOS() ? NativeOs.MacOS
        : OperatingSystem.IsLinux() ? NativeOs.Linux
        : null;

    /// <summary>The RID whose engine runs on <paramref name="os"/> and <paramref name="architecture"/>, or null if none does.</summary>
    internal static string? RuntimeIdentifier(NativeOs? os, Architecture architecture)
    {
        var prefix = os switch
        {
            NativeOs.Windows => "win",
            NativeOs.Linux => "linux",
            NativeOs.MacOS => "osx",
            _ => null,
        };
        var arch = architecture switch
        {
            Architecture.X64 => "x64",
            Architecture.Arm64 => "arm64",
            _ => null,
        };
        return prefix is null || arch is null ? null : $"{prefix}-{arch}";
    }

    /// <summary>The engine's file name on <paramref name="os"/>.</summary>
    internal static string LibraryFile(NativeOs os) => os switch
    {
        NativeOs.Windows => "psws.dll",
        NativeOs.MacOS => "libpsws.dylib",
        _ => "libpsws.so",
    };

    /// <summary>
    /// Loads the engine of <paramref name="os"/>/<paramref name="architecture"/> from
    /// <c>runtimes/&lt;rid&gt;/native</c> under <paramref name="moduleDir"/>.
    /// </summary>
    /// <exception cref="PlatformNotSupportedException">No engine is made for this platform.</exception>
    /// <exception cref="DllNotFoundException">The library is missing or does not load; the message names the RID and the folder.</exception>
    internal static IntPtr Load(string moduleDir, NativeOs? os, Architecture architecture)
    {
        var rid = RuntimeIdentifier(os, architecture)
            ?? throw new PlatformNotSupportedException(
                $"PsWebSocket has no engine for {RuntimeInformation.OSDescription} ({architecture}): it runs on {string.Join(", ", Supported)}.");
        var folder = Path.Combine(moduleDir, "runtimes", rid, "native");
        var path = Path.Combine(folder, LibraryFile(os!.Value));
        if (!File.Exists(path))
        {
            throw new DllNotFoundException(
                $"The PsWebSocket engine for {rid} is missing: {LibraryFile(os.Value)} is not in {folder}. Install a package that includes {rid}, or build the engine on {rid} (see the README).");
        }
        IntPtr handle;
        try
        {
            handle = NativeLibrary.Load(path);
        }
        catch (DllNotFoundException e)
        {
            throw new DllNotFoundException($"The PsWebSocket engine for {rid} ({path}) does not load: {e.Message}", e);
        }
        return AbiVersion.Verified(handle, path);
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != NativeMethods.Library)
        {
            return IntPtr.Zero;
        }
        if (Environment.GetEnvironmentVariable("PSWS_NATIVE_LIBRARY") is { Length: > 0 } explicitPath)
        {
            return AbiVersion.Verified(NativeLibrary.Load(explicitPath), explicitPath);
        }
        var moduleDir = Path.GetDirectoryName(assembly.Location) is { Length: > 0 } dir ? dir : AppContext.BaseDirectory;
        return Load(moduleDir, CurrentOs, RuntimeInformation.ProcessArchitecture);
    }
}
