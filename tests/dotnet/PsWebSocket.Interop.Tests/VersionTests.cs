using System.Text.RegularExpressions;

namespace PsWebSocket.Interop.Tests;

public sealed class VersionTests
{
    [Fact]
    public void AbiVersionMatchesTheHeader()
    {
        var header = File.ReadAllText(Path.Combine(Raw.RepoRoot, "ffi", "include", "psws.h"));
        var declared = uint.Parse(Regex.Match(header, @"#define\s+PSWS_ABI_VERSION\s+(\d+)").Groups[1].Value);
        Assert.Equal(declared, NativeMethods.psws_abi_version());
        Assert.Equal(AbiVersion.Expected, NativeMethods.psws_abi_version());
    }

    [Fact]
    public void VersionIsTheCrateVersion()
    {
        var cargo = File.ReadAllText(Path.Combine(Raw.RepoRoot, "Cargo.toml"));
        var expected = Regex.Match(cargo, @"\[workspace\.package\][^\[]*?^version\s*=\s*""([^""]+)""", RegexOptions.Multiline | RegexOptions.Singleline).Groups[1].Value;
        Assert.NotEmpty(expected);
        var version = NativeMethods.psws_version();
        Assert.Equal(expected, version.ToString());
        // Static storage: the same view every time, no NUL counted.
        Assert.Equal(version.len, NativeMethods.psws_version().len);
        Assert.Equal((nuint)expected.Length, version.len);
    }
}
