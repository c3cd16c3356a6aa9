using System.Management.Automation;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace PsWebSocket.Runtime;

/// <summary>A JWT that cannot be used: malformed, badly signed, expired or not yet valid (Pode's messages).</summary>
public sealed class JwtException(string message) : Exception(message);

/// <summary>A JWT secret as Pode takes it: a string (UTF-8), bytes, or nothing.</summary>
public static class JwtSecret
{
    /// <summary>The secret's bytes, or null when there is none.</summary>
    public static byte[]? ToBytes(object? secret) => (secret is PSObject wrapped ? wrapped.BaseObject : secret) switch
    {
        null => null,
        byte[] bytes => bytes.Length > 0 ? bytes : null,
        string text => text.Length > 0 ? Encoding.UTF8.GetBytes(text) : null,
        System.Security.SecureString secure => Encoding.UTF8.GetBytes(new System.Net.NetworkCredential("", secure).Password),
        var other => Encoding.UTF8.GetBytes(other.ToString() ?? ""),
    };
}

/// <summary>
/// JSON Web Tokens as Pode makes and reads them (ConvertTo-PodeJwt, New-PodeAuthScheme -AsJWT): base64url
/// header, payload and signature; HS256/HS384/HS512 with a secret, or alg "none" without one.
/// </summary>
public static class Jwt
{
    /// <summary>Builds a token from a header (with alg) and a payload; signed when alg is not none.</summary>
    public static string Create(object header, object payload, byte[]? secret)
    {
        var alg = Algorithm(header);
        var token = $"{Encode(Json.Serialize(header))}.{Encode(Json.Serialize(payload))}";
        if (IsNone(alg))
        {
            return $"{token}.";
        }
        if (secret is not { Length: > 0 })
        {
            throw new JwtException("No secret supplied for JWT signature");
        }
        return $"{token}.{Sign(alg, token, secret)}";
    }

    /// <summary>
    /// Reads a token's payload (a PSCustomObject), checking its signature with the secret (a token
    /// signed with "none" is refused when there is a secret) and its exp and nbf claims.
    /// </summary>
    public static object Read(string token, byte[]? secret)
    {
        var parts = token.Split('.');
        if (parts.Length is < 2 or > 3)
        {
            throw new JwtException("Invalid JWT supplied");
        }
        var alg = Algorithm(Decode(parts[0]));
        var payload = Decode(parts[1]) as PSObject ?? throw new JwtException("Invalid JSON value found in JWT");
        var signature = parts.Length == 3 ? parts[2] : "";
        if (IsNone(alg))
        {
            if (secret is { Length: > 0 })
            {
                throw new JwtException("Expected a signed JWT, 'none' algorithm is not allowed");
            }
            if (signature.Length > 0)
            {
                throw new JwtException("Invalid JWT signature supplied");
            }
        }
        else
        {
            if (signature.Length == 0)
            {
                throw new JwtException($"No JWT signature supplied for {alg}");
            }
            if (secret is not { Length: > 0 })
            {
                throw new JwtException("No secret supplied for JWT signature");
            }
            var expected = Encoding.ASCII.GetBytes(Sign(alg, $"{parts[0]}.{parts[1]}", secret));
            if (!CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(signature)))
            {
                throw new JwtException("Invalid JWT signature supplied");
            }
        }
        CheckTimes(payload);
        return payload;
    }

    private static void CheckTimes(PSObject payload)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        if (Seconds(payload, "exp") is { } exp && now > exp)
        {
            throw new JwtException("The JWT has expired");
        }
        if (Seconds(payload, "nbf") is { } nbf && now < nbf)
        {
            throw new JwtException("The JWT is not yet valid for use");
        }
    }

    private static long? Seconds(PSObject payload, string claim) =>
        payload.Properties[claim]?.Value is { } value && LanguagePrimitives.TryConvertTo<long>(value, out var seconds) ? seconds : null;

    private static string Algorithm(object? header)
    {
        var alg = (header is PSObject { BaseObject: System.Collections.IDictionary } wrapped ? wrapped.BaseObject : header) switch
        {
            System.Collections.IDictionary table => table["alg"],
            PSObject obj => obj.Properties["alg"]?.Value,
            _ => null,
        };
        return alg is string { Length: > 0 } name ? name : throw new JwtException("Invalid JWT header algorithm supplied");
    }

    private static bool IsNone(string alg) => alg.Equals("none", StringComparison.OrdinalIgnoreCase);

    private static string Sign(string alg, string token, byte[] secret)
    {
        var data = Encoding.ASCII.GetBytes(token);
        var mac = alg.ToUpperInvariant() switch
        {
            "HS256" => HMACSHA256.HashData(secret, data),
            "HS384" => HMACSHA384.HashData(secret, data),
            "HS512" => HMACSHA512.HashData(secret, data),
            _ => throw new JwtException($"The JWT algorithm is not currently supported: {alg}"),
        };
        return Base64Url(mac);
    }

    private static string Encode(string json) => Base64Url(Encoding.UTF8.GetBytes(json));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static object? Decode(string part)
    {
        string json;
        try
        {
            var text = part.Replace('-', '+').Replace('_', '/');
            json = Encoding.UTF8.GetString(Convert.FromBase64String(text.PadRight(text.Length + (4 - text.Length % 4) % 4, '=')));
        }
        catch (FormatException)
        {
            throw new JwtException("Invalid Base64 encoded value found in JWT");
        }
        try
        {
            return Json.Deserialize(json, false);
        }
        catch (JsonException)
        {
            throw new JwtException("Invalid JSON value found in JWT");
        }
    }
}
