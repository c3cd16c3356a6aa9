using System.Collections;
using System.Collections.Specialized;
using System.Globalization;
using System.Management.Automation;
using System.Numerics;
using System.Text;
using System.Text.Json;

namespace PsWebSocket.Runtime;

/// <summary>
/// JSON both ways for PowerShell values with System.Text.Json, shaped like
/// ConvertTo-Json / ConvertFrom-Json (which not every host has): hashtables and
/// PSObjects become objects, enumerables arrays, <c>-Depth</c> cuts deeper values to
/// their string form; parsing gives hashtables or PSCustomObjects.
/// </summary>
public static class Json
{
    /// <summary>Serialises <paramref name="value"/>; <paramref name="depth"/> ≤ 0 means ConvertTo-Json's default of 2.</summary>
    public static string Serialize(object? value, int depth = 10, bool compress = true)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = !compress, SkipValidation = true }))
        {
            Write(writer, value, depth <= 0 ? 2 : depth);
        }
        return Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }

    private static void Write(Utf8JsonWriter w, object? value, int depth)
    {
        if (value is PSObject pso)
        {
            if (pso.BaseObject is PSCustomObject)
            {
                WriteProperties(w, pso.Properties.Where(p => p.IsGettable).Select(p => (p.Name, SafeValue(p))), depth);
                return;
            }
            value = pso.BaseObject;
        }
        switch (value)
        {
            case null or DBNull:
                w.WriteNullValue();
                return;
            case string s:
                w.WriteStringValue(s);
                return;
            case char c:
                w.WriteStringValue(c.ToString());
                return;
            case bool b:
                w.WriteBooleanValue(b);
                return;
            case int or long or short or sbyte or byte or uint or ulong or ushort:
                w.WriteRawValue(Convert.ToString(value, CultureInfo.InvariantCulture)!, skipInputValidation: true);
                return;
            case float f:
                WriteNumber(w, f);
                return;
            case double d:
                WriteNumber(w, d);
                return;
            case decimal m:
                w.WriteNumberValue(m);
                return;
            case BigInteger big:
                w.WriteRawValue(big.ToString(CultureInfo.InvariantCulture), skipInputValidation: true);
                return;
            case DateTime dt:
                w.WriteStringValue(dt.ToString("o", CultureInfo.InvariantCulture));
                return;
            case DateTimeOffset dto:
                w.WriteStringValue(dto.ToString("o", CultureInfo.InvariantCulture));
                return;
            case Guid or Uri or Version or TimeSpan:
                w.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                return;
            case Enum e:
                w.WriteRawValue(Convert.ToInt64(e, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture), skipInputValidation: true);
                return;
            case ScriptBlock sb:
                w.WriteStringValue(sb.ToString());
                return;
        }
        if (depth < 0)
        {
            w.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
            return;
        }
        switch (value)
        {
            case IDictionary dict:
                w.WriteStartObject();
                foreach (DictionaryEntry entry in dict)
                {
                    w.WritePropertyName(Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? "");
                    Write(w, entry.Value, depth - 1);
                }
                w.WriteEndObject();
                return;
            case IEnumerable items:
                w.WriteStartArray();
                foreach (var item in items)
                {
                    Write(w, item, depth - 1);
                }
                w.WriteEndArray();
                return;
        }
        WriteProperties(w, PSObject.AsPSObject(value).Properties.Where(p => p.IsGettable).Select(p => (p.Name, SafeValue(p))), depth);
    }

    private static object? SafeValue(PSPropertyInfo property)
    {
        try
        {
            return property.Value;
        }
        catch (Exception)
        {
            return null;
        }
    }

    private static void WriteProperties(Utf8JsonWriter w, IEnumerable<(string Name, object? Value)> properties, int depth)
    {
        w.WriteStartObject();
        foreach (var (name, value) in properties)
        {
            w.WritePropertyName(name);
            if (depth <= 0)
            {
                w.WriteStringValue(value is null ? null : Convert.ToString(value is PSObject p ? p.BaseObject : value, CultureInfo.InvariantCulture));
            }
            else
            {
                Write(w, value, depth - 1);
            }
        }
        w.WriteEndObject();
    }

    private static void WriteNumber(Utf8JsonWriter w, double d)
    {
        if (double.IsFinite(d))
        {
            w.WriteNumberValue(d);
        }
        else
        {
            w.WriteStringValue(d.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>
    /// Parses JSON: objects become ordered case-insensitive hashtables
    /// (<paramref name="asHashtable"/>, as ConvertFrom-Json -AsHashtable) or
    /// PSCustomObjects; arrays object[]; numbers int, long, BigInteger or double.
    /// Throws <see cref="JsonException"/> for invalid JSON.
    /// </summary>
    public static object? Deserialize(string json, bool asHashtable)
    {
        using var document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip, MaxDepth = 1024 });
        return FromElement(document.RootElement, asHashtable);
    }

    private static object? FromElement(JsonElement e, bool asHashtable)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                if (asHashtable)
                {
                    var table = new OrderedDictionary(StringComparer.OrdinalIgnoreCase);
                    foreach (var p in e.EnumerateObject())
                    {
                        table[p.Name] = FromElement(p.Value, asHashtable);
                    }
                    return table;
                }
                var obj = new PSObject();
                foreach (var p in e.EnumerateObject())
                {
                    obj.Properties.Remove(p.Name);
                    obj.Properties.Add(new PSNoteProperty(p.Name, FromElement(p.Value, asHashtable)));
                }
                return obj;
            case JsonValueKind.Array:
                return e.EnumerateArray().Select(item => FromElement(item, asHashtable)).ToArray();
            case JsonValueKind.String:
                return e.GetString();
            case JsonValueKind.Number:
                if (e.TryGetInt32(out var i)) return i;
                if (e.TryGetInt64(out var l)) return l;
                var raw = e.GetRawText();
                if (!raw.Contains('.') && !raw.Contains('e') && !raw.Contains('E') && BigInteger.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var big)) return big;
                return e.GetDouble();
            case JsonValueKind.True:
                return true;
            case JsonValueKind.False:
                return false;
            default:
                return null;
        }
    }
}
