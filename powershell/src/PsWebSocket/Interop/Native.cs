using System.Runtime.InteropServices;
using System.Text;

namespace PsWebSocket.Interop;

/// <summary>A failed libpsws call: its status and psws_last_error() text.</summary>
internal sealed class PswsException(PswsStatus status, string message) : Exception(message)
{
    /// <summary>The status code.</summary>
    public PswsStatus Status { get; } = status;
}

/// <summary>Checks status codes and turns failures into <see cref="PswsException"/>.</summary>
internal static class Native
{
    /// <summary>Throws for anything but OK, with the library's message for this thread.</summary>
    internal static void Check(PswsStatus status)
    {
        if (status != PswsStatus.Ok)
        {
            throw new PswsException(status, NativeMethods.psws_last_error().ToString());
        }
    }

    /// <summary>The strings of a library-owned list, then frees it.</summary>
    internal static string[] ReadList(ListHandle list)
    {
        using (list)
        {
            Check(NativeMethods.psws_list_len(list, out var length));
            var items = new string[(int)length];
            for (var i = 0; i < items.Length; i++)
            {
                Check(NativeMethods.psws_list_get(list, (nuint)i, out var item));
                items[i] = item.ToString();
            }
            return items;
        }
    }

    /// <summary>Calls a function that copies a string into a caller buffer, growing it when needed.</summary>
    internal static unsafe string ReadString(Func<IntPtr, nuint, (PswsStatus status, nuint length)> call)
    {
        var capacity = 256;
        while (true)
        {
            var buffer = new byte[capacity];
            fixed (byte* p = buffer)
            {
                var (status, length) = call((IntPtr)p, (nuint)capacity);
                if (status == PswsStatus.BufferTooSmall && (int)length >= capacity)
                {
                    capacity = (int)length + 1;
                    continue;
                }
                Check(status);
                return Encoding.UTF8.GetString(buffer, 0, (int)length);
            }
        }
    }
}

/// <summary>
/// UTF-8 copies of call arguments in native memory, valid until disposed. Keeps
/// marshalling out of the call sites: <c>using var a = new ArgBuffer(); f(a.Str(x));</c>.
/// </summary>
internal sealed unsafe class ArgBuffer : IDisposable
{
    private readonly List<IntPtr> _blocks = [];

    private void* Alloc(nuint bytes)
    {
        var block = NativeMemory.Alloc(bytes == 0 ? 1 : bytes);
        _blocks.Add((IntPtr)block);
        return block;
    }

    /// <summary>A psws_str for <paramref name="value"/> (null is the empty string).</summary>
    public psws_str Str(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return default;
        }
        var length = Encoding.UTF8.GetByteCount(value);
        var block = (byte*)Alloc((nuint)length);
        Encoding.UTF8.GetBytes(value, new Span<byte>(block, length));
        return new psws_str { ptr = block, len = (nuint)length };
    }

    /// <summary>An array of psws_str and its length (NULL and 0 for none).</summary>
    public psws_str* List(IReadOnlyCollection<string>? values, out nuint count)
    {
        count = (nuint)(values?.Count ?? 0);
        if (values is null || values.Count == 0)
        {
            return null;
        }
        var items = (psws_str*)Alloc((nuint)(values.Count * sizeof(psws_str)));
        var i = 0;
        foreach (var value in values)
        {
            items[i++] = Str(value);
        }
        return items;
    }

    /// <summary>An array of psws_header and its length.</summary>
    public psws_header* Headers(IReadOnlyCollection<KeyValuePair<string, string>>? headers, out nuint count)
    {
        count = (nuint)(headers?.Count ?? 0);
        if (headers is null || headers.Count == 0)
        {
            return null;
        }
        var items = (psws_header*)Alloc((nuint)(headers.Count * sizeof(psws_header)));
        var i = 0;
        foreach (var (name, value) in headers)
        {
            items[i++] = new psws_header { name = Str(name), value = Str(value) };
        }
        return items;
    }

    public void Dispose()
    {
        foreach (var block in _blocks)
        {
            NativeMemory.Free((void*)block);
        }
        _blocks.Clear();
    }
}
