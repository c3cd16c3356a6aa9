using System.Collections;
using System.IO.Compression;
using System.Management.Automation;
using System.Text;
using System.Text.Json;
using System.Xml;

namespace PsWebSocket.Runtime;

/// <summary>
/// <c>$WebEvent.Data</c> as Pode builds it: the body decoded (gzip, deflate or br, from the
/// request's Transfer-Encoding or Content-Encoding, or the route's -TransferEncoding), then
/// parsed by content type (the route's -ContentType wins over the request's): JSON and forms
/// to hashtables, XML to an XmlDocument, CSV to objects, anything else as text.
/// </summary>
internal static class RequestBody
{
    private static readonly ScriptBlock FromCsv = ScriptBlock.Create("param($text) $text | ConvertFrom-Csv");

    /// <summary>The parsed body; a FormatException says why a body could not be read.</summary>
    public static object? Parse(PodeRequest request, WebRoute route)
    {
        if (request.RawBody.Length == 0)
        {
            return new Hashtable(StringComparer.OrdinalIgnoreCase);
        }
        var text = Encoding.UTF8.GetString(Decode(request, route.TransferEncoding));
        var type = (route.ContentType is { Length: > 0 } forced ? forced : request.ContentType).Split(';')[0].Trim().ToLowerInvariant();
        try
        {
            return type switch
            {
                _ when type.EndsWith("/json") || type.EndsWith("+json") => Json.Deserialize(text, asHashtable: true),
                _ when type.EndsWith("/xml") || type.EndsWith("+xml") => Xml(text),
                _ when type.EndsWith("/csv") => Csv(text),
                "application/x-www-form-urlencoded" => WebHandling.ParseQuery(text),
                _ => text,
            };
        }
        catch (JsonException e)
        {
            throw new FormatException($"The request body is not valid JSON: {e.Message}", e);
        }
        catch (XmlException e)
        {
            throw new FormatException($"The request body is not valid XML: {e.Message}", e);
        }
    }

    /// <summary>The body without its compression; the encodings are applied in reverse order.</summary>
    private static byte[] Decode(PodeRequest request, string? forced)
    {
        string[] encodings = forced is { Length: > 0 } ? [forced]
            : $"{request.Headers["Transfer-Encoding"]},{request.Headers["Content-Encoding"]}".Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var body = request.RawBody;
        foreach (var encoding in Enumerable.Reverse(encodings))
        {
            body = encoding.ToLowerInvariant() switch
            {
                "gzip" or "x-gzip" => Inflate(body, s => new GZipStream(s, CompressionMode.Decompress)),
                "deflate" => Inflate(body, Deflate),
                "br" => Inflate(body, s => new BrotliStream(s, CompressionMode.Decompress)),
                _ => body, // chunked and identity are the engine's business
            };
        }
        return body;
    }

    private static byte[] Inflate(byte[] body, Func<Stream, Stream> decoder)
    {
        try
        {
            using var input = decoder(new MemoryStream(body));
            using var output = new MemoryStream();
            input.CopyTo(output);
            return output.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new FormatException($"The request body could not be decompressed: {e.Message}", e);
        }
    }

    /// <summary>HTTP's deflate is zlib-wrapped, but many clients (and Pode's tests) send raw deflate: take either.</summary>
    private static Stream Deflate(Stream body)
    {
        var first = body.ReadByte();
        body.Position = 0;
        return (first & 0x0F) == 8 && first >= 0 ? new ZLibStream(body, CompressionMode.Decompress) : new DeflateStream(body, CompressionMode.Decompress);
    }

    private static XmlDocument Xml(string text)
    {
        var document = new XmlDocument { XmlResolver = null };
        using var reader = XmlReader.Create(new StringReader(text), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
        document.Load(reader);
        return document;
    }

    private static object[] Csv(string text) => [.. FromCsv.Invoke(text).Select(o => (object)o)];
}
