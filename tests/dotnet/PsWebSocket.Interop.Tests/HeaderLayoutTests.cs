using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace PsWebSocket.Interop.Tests;

/// <summary>
/// The C# mirrors in NativeTypes.cs against ffi/include/psws.h as it is now: every struct
/// of the header is declared with the same fields at the same offsets and the same size
/// (computed from the header with the x86-64 / AArch64 LP64 C rules), and the enumerations
/// the module mirrors carry the header's numbers.
/// </summary>
public sealed partial class HeaderLayoutTests
{
    private static readonly string Header = File.ReadAllText(Path.Combine(Raw.RepoRoot, "ffi", "include", "psws.h"));

    [GeneratedRegex(@"/\*.*?\*/|//[^\n]*", RegexOptions.Singleline)]
    private static partial Regex Comments();

    [GeneratedRegex(@"typedef\s+struct\s+(\w+)\s*\{(.*?)\}\s*\1\s*;", RegexOptions.Singleline)]
    private static partial Regex Structs();

    [GeneratedRegex(@"\benum\s+(\w+)\s*(?:#if[^\n]*\n[^\n]*\n#endif[^\n]*\n)?\s*\{(.*?)\}", RegexOptions.Singleline)]
    private static partial Regex Enums();

    private static string Code => Comments().Replace(Header, "");

    private sealed record CField(string Name, int Offset, int Size);
    private sealed record CStruct(string Name, int Size, int Align, List<CField> Fields);

    /// <summary>The layout of every struct in the header (LP64: pointers, size_t 8 bytes; enums 4).</summary>
    private static Dictionary<string, CStruct> CLayouts()
    {
        var code = Code;
        var enums = Enums().Matches(code).Select(m => m.Groups[1].Value).ToHashSet();
        var layouts = new Dictionary<string, CStruct>();
        foreach (Match s in Structs().Matches(code))
        {
            var (offset, align) = (0, 1);
            var fields = new List<CField>();
            foreach (var declaration in s.Groups[2].Value.Split(';').Select(d => d.Trim()).Where(d => d.Length > 0))
            {
                var name = Regex.Match(declaration, @"(\w+)$").Groups[1].Value;
                var type = declaration[..^name.Length].Replace("const", "").Replace("struct", "").Trim();
                var (size, fieldAlign) = type.EndsWith('*') ? (8, 8) : type switch
                {
                    "bool" or "char" or "uint8_t" or "int8_t" => (1, 1),
                    "uint16_t" or "int16_t" => (2, 2),
                    "uint32_t" or "int32_t" or "float" => (4, 4),
                    "uint64_t" or "int64_t" or "size_t" or "double" => (8, 8),
                    _ when enums.Contains(type) => (4, 4),
                    _ when layouts.TryGetValue(type, out var inner) => (inner.Size, inner.Align),
                    _ => throw new InvalidOperationException($"unknown C type '{type}' in {s.Groups[1].Value}.{name}"),
                };
                offset = (offset + fieldAlign - 1) / fieldAlign * fieldAlign;
                fields.Add(new CField(name, offset, size));
                offset += size;
                align = Math.Max(align, fieldAlign);
            }
            var total = (offset + align - 1) / align * align;
            layouts[s.Groups[1].Value] = new CStruct(s.Groups[1].Value, total, align, fields);
        }
        return layouts;
    }

    private static int SizeOf(Type type) => (int)typeof(Unsafe).GetMethod(nameof(Unsafe.SizeOf))!.MakeGenericMethod(type).Invoke(null, null)!;

    public static TheoryData<string> StructNames() => [.. CLayouts().Keys];

    [Fact]
    public void HeaderLayoutRulesMatchTheCompilerOnKnownStructs()
    {
        // Sizes gcc reported for this header on linux-x64 when these tests were written;
        // they check the little layout calculator above, not the header.
        var layouts = CLayouts();
        Assert.Equal(16, layouts["psws_str"].Size);
        Assert.Equal(32, layouts["psws_header"].Size);
        Assert.Equal(80, layouts["psws_server_config"].Size);
        Assert.Equal(104, layouts["psws_endpoint"].Size);
        Assert.Equal(192, layouts["psws_connection_info"].Size);
        Assert.Equal(160, layouts["psws_event"].Size);
        Assert.Equal(72, layouts["psws_connect_options"].Size);
        Assert.Equal(96, layouts["psws_client_event"].Size);
        Assert.True(layouts.Count >= 14, string.Join(", ", layouts.Keys));
    }

    [Theory]
    [MemberData(nameof(StructNames))]
    public void StructMatchesTheHeader(string name)
    {
        var c = CLayouts()[name];
        var type = typeof(psws_str).Assembly.GetType($"PsWebSocket.Interop.{name}");
        Assert.True(type is not null, $"{name} is in psws.h but not declared in NativeTypes.cs");
        Assert.True(type.IsLayoutSequential, $"{name} is not LayoutKind.Sequential");
        var managed = type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);
        Assert.Equal(c.Fields.Select(f => f.Name), managed.Select(f => f.Name));
        foreach (var field in c.Fields)
        {
            var info = managed.Single(f => f.Name == field.Name);
            Assert.True(field.Offset == (int)Marshal.OffsetOf(type, field.Name), $"{name}.{field.Name}: C offset {field.Offset}, C# {Marshal.OffsetOf(type, field.Name)}");
            var fieldSize = info.FieldType.IsPointer ? IntPtr.Size : SizeOf(info.FieldType);
            Assert.True(field.Size == fieldSize, $"{name}.{field.Name}: C size {field.Size}, C# {info.FieldType.Name} is {fieldSize}");
        }
        Assert.Equal(c.Size, SizeOf(type));
    }

    [Theory]
    [InlineData("psws_status", "PSWS_STATUS_", typeof(PswsStatus))]
    [InlineData("psws_event_kind", "PSWS_EVENT_KIND_", typeof(EventKind))]
    [InlineData("psws_client_event_kind", "PSWS_CLIENT_EVENT_KIND_", typeof(ClientEventKind))]
    [InlineData("psws_protocol", "PSWS_PROTOCOL_", typeof(NativeProtocol))]
    [InlineData("psws_scope", "PSWS_SCOPE_", typeof(NativeScope))]
    [InlineData("psws_client_state", "PSWS_CLIENT_STATE_", typeof(NativeClientState))]
    public void EnumMatchesTheHeader(string cName, string prefix, Type managed)
    {
        var body = Enums().Matches(Code).Single(m => m.Groups[1].Value == cName).Groups[2].Value;
        var constants = Regex.Matches(body, @"(\w+)\s*=\s*(\d+)").ToDictionary(m => m.Groups[1].Value, m => ulong.Parse(m.Groups[2].Value));
        Assert.NotEmpty(constants);
        var values = Enum.GetNames(managed).ToDictionary(n => n.ToUpperInvariant(), n => Convert.ToUInt64(Enum.Parse(managed, n)));
        foreach (var (constant, value) in constants)
        {
            var key = constant[prefix.Length..].Replace("_", "");
            Assert.True(values.TryGetValue(key, out var managedValue), $"{constant} = {value} has no member in {managed.Name}");
            Assert.True(value == managedValue, $"{constant} = {value}, but {managed.Name} says {managedValue}");
        }
        Assert.Equal(constants.Count, values.Count);
    }
}
