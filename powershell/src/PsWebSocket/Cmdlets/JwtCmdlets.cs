using System.Collections;
using System.Management.Automation;
using PsWebSocket.Runtime;

namespace PsWebSocket.Cmdlets;

/// <summary>
/// <para type="synopsis">Creates a JSON Web Token from a header and a payload.</para>
/// <para type="description">The header's alg is none (an unsigned token, ending with a dot) or HS256, HS384 or
/// HS512, signed with -Secret. The token is what New-PodeAuthScheme -Bearer|-ApiKey -AsJWT reads.</para>
/// <example>
///   <code>ConvertTo-PodeJwt -Header @{ alg = 'hs256' } -Payload @{ sub = '123'; username = 'morty' } -Secret 'secret'</code>
///   <para>A token signed with HMAC-SHA256.</para>
/// </example>
/// </summary>
[Cmdlet(VerbsData.ConvertTo, "PodeJwt")]
[OutputType(typeof(string))]
public sealed class ConvertToPodeJwtCommand : PSCmdlet
{
    /// <summary><para type="description">The JWT header; alg is required.</para></summary>
    [Parameter(Mandatory = true)]
    public Hashtable Header { get; set; } = null!;

    /// <summary><para type="description">The JWT payload (claims such as sub, exp and nbf).</para></summary>
    [Parameter(Mandatory = true)]
    public Hashtable Payload { get; set; } = null!;

    /// <summary><para type="description">The secret (a string or bytes) to sign with, unless alg is none.</para></summary>
    [Parameter]
    public object? Secret { get; set; }

    /// <inheritdoc/>
    protected override void EndProcessing()
    {
        try
        {
            WriteObject(Jwt.Create(Header, Payload, JwtSecret.ToBytes(Secret)));
        }
        catch (JwtException e)
        {
            ThrowTerminatingError(new ErrorRecord(e, "JwtInvalid", ErrorCategory.InvalidArgument, Header));
        }
    }
}
