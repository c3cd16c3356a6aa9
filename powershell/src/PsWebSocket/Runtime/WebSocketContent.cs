using System.Collections;
using System.Globalization;
using System.Management.Automation;
using System.Text;
using System.Web;
using System.Xml;

namespace PsWebSocket.Runtime;

/// <summary>
/// Pode's content conversions for external WebSockets: a received text message becomes
/// <c>$WsEvent.Data</c> by the connection's ContentType (ConvertFrom-PodeRequestContent),
/// and a value given to Send-PodeWebSocket becomes text (ConvertTo-PodeResponseContent).
/// Strings are never converted on the way out.
/// </summary>
internal static class WebSocketContent
{
    private static string MainType(string contentType) => contentType.Split(';')[0].Trim().ToLowerInvariant();

    private static bool IsJson(string type) => type == "json" || type.EndsWith("/json") || type.EndsWith("+json");

    private static bool IsXml(string type) => type == "xml" || type.EndsWith("/xml") || type.EndsWith("+xml");

    private static bool IsCsv(string type) => type.EndsWith("/csv");

    /// <summary>
    /// <c>*/json</c>: a hashtable (arrays and scalars as they are); <c>*/xml</c>: an XmlDocument;
    /// <c>*/csv</c>: objects; <c>application/x-www-form-urlencoded</c>: a hashtable; anything
    /// else: the text. Throws JsonException, XmlException or FormatException for bad content.
    /// </summary>
    public static object? Parse(string body, string contentType)
    {
        var type = MainType(contentType);
        if (IsJson(type))
        {
            return Json.Deserialize(body, asHashtable: true);
        }
        if (IsXml(type))
        {
            var document = new XmlDocument { XmlResolver = null };
            document.LoadXml(body);
            return document;
        }
        if (IsCsv(type))
        {
            return ParseCsv(body);
        }
        if (type == "application/x-www-form-urlencoded")
        {
            var pairs = HttpUtility.ParseQueryString(body);
            var table = new Hashtable(StringComparer.OrdinalIgnoreCase);
            foreach (string? key in pairs.Keys)
            {
                table[key ?? ""] = pairs.Get(key);
            }
            return table;
        }
        return body;
    }

    /// <summary>The text to send for <paramref name="message"/> on a connection of <paramref name="contentType"/>.</summary>
    public static string Convert(object? message, string contentType, int depth)
    {
        var value = message is PSObject { BaseObject: not PSCustomObject } pso ? pso.BaseObject : message;
        var type = MainType(contentType);
        if (value is string s)
        {
            return IsJson(type) && string.IsNullOrWhiteSpace(s) ? "{}" : s;
        }
        if (IsJson(type))
        {
            return Json.Serialize(message, depth);
        }
        if (IsXml(type))
        {
            return value is XmlNode node ? node.OuterXml : ToXml(Items(message));
        }
        if (IsCsv(type))
        {
            return ToCsv(Items(message));
        }
        return LanguagePrimitives.ConvertTo<string>(message) ?? "";
    }

    /// <summary>The items of a value (Pode's <c>foreach ($item in $InputObject)</c>).</summary>
    private static List<object?> Items(object? message)
    {
        var value = message is PSObject { BaseObject: not PSCustomObject } pso ? pso.BaseObject : message;
        if (value is IEnumerable items and not IDictionary and not string)
        {
            return items.Cast<object?>().ToList();
        }
        return [message];
    }

    /// <summary>Name/value pairs of an item, as <c>[pscustomobject]$item</c> would have them.</summary>
    private static List<(string Name, object? Value)> Properties(object? item)
    {
        var value = item is PSObject { BaseObject: not PSCustomObject } pso ? pso.BaseObject : item;
        if (value is IDictionary dict)
        {
            return dict.Cast<DictionaryEntry>().Select(e => (System.Convert.ToString(e.Key, CultureInfo.InvariantCulture) ?? "", e.Value)).ToList();
        }
        if (value is null)
        {
            return [];
        }
        return PSObject.AsPSObject(item).Properties.Where(p => p.IsGettable).Select(p => (p.Name, SafeValue(p))).ToList();
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

    private static string Text(object? value) =>
        value is null ? "" : LanguagePrimitives.ConvertTo<string>(value is PSObject p ? p.BaseObject : value) ?? "";

    /// <summary>ConvertTo-Xml -As String -NoTypeInformation's shape: Objects/Object/Property[@Name].</summary>
    private static string ToXml(List<object?> items)
    {
        var output = new StringBuilder();
        using (var writer = XmlWriter.Create(output, new XmlWriterSettings { Indent = true, OmitXmlDeclaration = true }))
        {
            writer.WriteStartElement("Objects");
            foreach (var item in items)
            {
                writer.WriteStartElement("Object");
                foreach (var (name, value) in Properties(item))
                {
                    writer.WriteStartElement("Property");
                    writer.WriteAttributeString("Name", name);
                    writer.WriteString(Text(value));
                    writer.WriteEndElement();
                }
                writer.WriteEndElement();
            }
            writer.WriteEndElement();
        }
        return "<?xml version=\"1.0\" encoding=\"utf-8\"?>" + Environment.NewLine + output;
    }

    /// <summary>ConvertTo-Csv's shape (PowerShell 7): a header line, then every field quoted.</summary>
    private static string ToCsv(List<object?> items)
    {
        static string Quote(string s) => "\"" + s.Replace("\"", "\"\"") + "\"";
        var lines = new List<string>();
        List<string>? header = null;
        foreach (var item in items)
        {
            var properties = Properties(item);
            if (header is null)
            {
                header = properties.Select(p => p.Name).ToList();
                lines.Add(string.Join(",", header.Select(Quote)));
            }
            var values = header.Select(name => properties.FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Value);
            lines.Add(string.Join(",", values.Select(v => Quote(Text(v)))));
        }
        return string.Join(Environment.NewLine, lines);
    }

    /// <summary>ConvertFrom-Csv: the first record names the properties; one object per further record.</summary>
    private static object? ParseCsv(string body)
    {
        var records = CsvRecords(body).Where(r => r.Count > 1 || r[0].Length > 0).ToList();
        if (records.Count < 2)
        {
            return null;
        }
        var header = records[0];
        var objects = new List<PSObject>();
        foreach (var record in records.Skip(1))
        {
            var obj = new PSObject();
            for (var i = 0; i < header.Count; i++)
            {
                obj.Properties.Remove(header[i]);
                obj.Properties.Add(new PSNoteProperty(header[i], i < record.Count ? record[i] : null));
            }
            objects.Add(obj);
        }
        return objects.Count == 1 ? objects[0] : objects.ToArray();
    }

    /// <summary>RFC 4180 records: comma-separated fields, double-quoted fields may hold commas, quotes ("") and newlines.</summary>
    private static IEnumerable<List<string>> CsvRecords(string text)
    {
        var record = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
                continue;
            }
            switch (c)
            {
                case '"':
                    quoted = true;
                    break;
                case ',':
                    record.Add(field.ToString());
                    field.Clear();
                    break;
                case '\r':
                    break;
                case '\n':
                    record.Add(field.ToString());
                    field.Clear();
                    yield return record;
                    record = [];
                    break;
                default:
                    field.Append(c);
                    break;
            }
        }
        if (quoted)
        {
            throw new FormatException("a quoted CSV field is not closed");
        }
        record.Add(field.ToString());
        yield return record;
    }
}
