using System.Runtime.InteropServices;

namespace PsWebSocket.Interop.Tests;

/// <summary>
/// The module's native loader: which runtimes/&lt;rid&gt;/native folder and file it picks for each
/// platform, and what a user sees when the library is not there or does not load.
/// </summary>
public sealed class LibraryResolverTests : IDisposable
{
    private readonly string _moduleDir = Directory.CreateTempSubdirectory("psws-resolver-").FullName;

    public void Dispose() => Directory.Delete(_moduleDir, recursive: true);

    /// <summary>NativeOs by name ("" for an OS the module has no engine for); the enum is internal.</summary>
    private static NativeOs? Os(string name) => name.Length == 0 ? null : Enum.Parse<NativeOs>(name);

    [Theory]
    [InlineData("Windows", Architecture.X64, "win-x64", "psws.dll")]
    [InlineData("Windows", Architecture.Arm64, "win-arm64", "psws.dll")]
    [InlineData("Linux", Architecture.X64, "linux-x64", "libpsws.so")]
    [InlineData("Linux", Architecture.Arm64, "linux-arm64", "libpsws.so")]
    [InlineData("MacOS", Architecture.X64, "osx-x64", "libpsws.dylib")]
    [InlineData("MacOS", Architecture.Arm64, "osx-arm64", "libpsws.dylib")]
    public void Each_supported_platform_maps_to_its_RID_and_file(string osName, Architecture architecture, string rid, string file)
    {
        var os = Os(osName)!.Value;
        Assert.Equal(rid, LibraryResolver.RuntimeIdentifier(os, architecture));
        Assert.Equal(file, LibraryResolver.LibraryFile(os));
        Assert.Contains(rid, LibraryResolver.Supported);
    }

    [Theory]
    [InlineData("Linux", Architecture.X86)]
    [InlineData("Linux", Architecture.Arm)]
    [InlineData("Windows", Architecture.X86)]
    [InlineData("", Architecture.X64)]
    public void Other_platforms_have_no_RID(string osName, Architecture architecture)
    {
        var os = Os(osName);
        Assert.Null(LibraryResolver.RuntimeIdentifier(os, architecture));
        var error = Assert.Throws<PlatformNotSupportedException>(() => LibraryResolver.Load(_moduleDir, os, architecture));
        Assert.Contains("linux-x64", error.Message); // lists what is supported
    }

    [Fact]
    public void This_process_is_linux_x64_and_loads_the_engine_from_its_runtimes_folder()
    {
        Assert.Equal(NativeOs.Linux, LibraryResolver.CurrentOs);
        Assert.Equal("linux-x64", LibraryResolver.RuntimeIdentifier(LibraryResolver.CurrentOs, RuntimeInformation.ProcessArchitecture));
        var handle = LibraryResolver.Load(AppContext.BaseDirectory, NativeOs.Linux, Architecture.X64);
        Assert.NotEqual(IntPtr.Zero, handle);
        Assert.True(NativeLibrary.TryGetExport(handle, "psws_abi_version", out _));
    }

    [Theory]
    [InlineData("Linux", Architecture.X64, "linux-x64", "libpsws.so")]
    [InlineData("MacOS", Architecture.Arm64, "osx-arm64", "libpsws.dylib")]
    [InlineData("Windows", Architecture.X64, "win-x64", "psws.dll")]
    public void A_missing_library_names_the_RID_and_the_folder_looked_in(string osName, Architecture architecture, string rid, string file)
    {
        var os = Os(osName);
        var error = Assert.Throws<DllNotFoundException>(() => LibraryResolver.Load(_moduleDir, os, architecture));
        Assert.Contains($"for {rid} is missing", error.Message);
        Assert.Contains($"{file} is not in {Path.Combine(_moduleDir, "runtimes", rid, "native")}", error.Message);
    }

    [Fact]
    public void A_library_that_does_not_load_names_the_RID_and_the_path()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_moduleDir, "runtimes", "linux-x64", "native")).FullName;
        var path = Path.Combine(folder, "libpsws.so");
        File.WriteAllText(path, "not a shared library");
        var error = Assert.Throws<DllNotFoundException>(() => LibraryResolver.Load(_moduleDir, NativeOs.Linux, Architecture.X64));
        Assert.StartsWith($"The PsWebSocket engine for linux-x64 ({path}) does not load: ", error.Message);
    }
}
