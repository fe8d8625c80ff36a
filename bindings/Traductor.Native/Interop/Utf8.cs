using System.Text;

namespace Traductor.Native.Interop;

/// <summary>
/// Strict UTF-8 conversion for text crossing the boundary. A C# string with an unpaired surrogate
/// has no UTF-8 form; the lenient default encoder would silently turn it into U+FFFD, so two
/// different inputs would look identical to the engine. We refuse it instead, like the native side
/// refuses invalid UTF-8.
/// </summary>
internal static class Utf8
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Byte count of <paramref name="text"/>; throws <see cref="ArgumentException"/> naming <paramref name="what"/>.</summary>
    public static int ByteCount(string text, string what, string parameterName)
    {
        try
        {
            return Strict.GetByteCount(text);
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException($"{what} contains an unpaired UTF-16 surrogate at index {e.Index}", parameterName, e);
        }
    }

    /// <summary>Encodes <paramref name="text"/> into <paramref name="destination"/> (sized by <see cref="ByteCount"/>).</summary>
    public static int Encode(string text, Span<byte> destination) => Strict.GetBytes(text, destination);

    /// <summary>Throws when <paramref name="token"/> holds U+0000, which a NUL-terminated C string cannot carry.</summary>
    public static void RequireNoNul(string token, string what, string parameterName)
    {
        var nul = token.IndexOf('\0', StringComparison.Ordinal);
        if (nul >= 0)
        {
            throw new ArgumentException($"{what} contains U+0000 at index {nul}", parameterName);
        }
    }
}
