using System.Buffers;
using System.Text.Json;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Traductor.Server.Http;

/// <summary>
/// Reads a JSON request body defensively: media type, size limit (before and while reading),
/// strict UTF-8, bounded nesting. Every refusal is an <see cref="ApiException"/> whose message
/// points at a position, never at content.
/// </summary>
internal static class JsonBody
{
    /// <summary>Deeper nesting than any valid request needs; parsers' stacks stay small.</summary>
    public const int MaxDepth = 16;

    public static async Task<JsonDocument> ReadAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        RequireJsonMediaType(request.ContentType);
        if (request.ContentLength > maxBytes)
            throw TooLarge(maxBytes);
        var bytes = await ReadBoundedAsync(request.Body, maxBytes, cancellationToken).ConfigureAwait(false);
        var span = bytes.AsMemory();
        if (span.Span.StartsWith("\uFEFF"u8))
            span = span[3..];
        if (!Utf8.IsValid(span.Span))
            throw new ApiException(StatusCodes.Status400BadRequest, "invalid_utf8", $"the request body is not valid UTF-8 (first invalid byte at offset {FirstInvalidByte(span.Span)})");
        try
        {
            return JsonDocument.Parse(span, new JsonDocumentOptions { MaxDepth = MaxDepth });
        }
        catch (JsonException e)
        {
            // The parser's own message quotes the offending characters: only the position is reported.
            throw new ApiException(StatusCodes.Status400BadRequest, "invalid_json",
                $"the request body is not valid JSON or is nested deeper than {MaxDepth} levels (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1})");
        }
    }

    private static void RequireJsonMediaType(string? contentType)
    {
        if (contentType is null || !MediaTypeHeaderValue.TryParse(contentType, out var media))
            throw new ApiException(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type", "Content-Type must be application/json");
        var type = media.MediaType.Value ?? "";
        var json = type.Equals("application/json", StringComparison.OrdinalIgnoreCase) || type.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
        var charset = media.Charset.Value;
        if (!json || (charset is not null && !charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) && !charset.Equals("utf8", StringComparison.OrdinalIgnoreCase)))
            throw new ApiException(StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type", "Content-Type must be application/json (charset utf-8)");
    }

    private static async Task<byte[]> ReadBoundedAsync(Stream body, long maxBytes, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            using var collected = new MemoryStream();
            int read;
            while ((read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (collected.Length + read > maxBytes)
                    throw TooLarge(maxBytes);
                collected.Write(buffer, 0, read);
            }
            return collected.ToArray();
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge(maxBytes);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static ApiException TooLarge(long maxBytes) =>
        new(StatusCodes.Status413PayloadTooLarge, "body_too_large", $"the request body is larger than MAX_REQUEST_BYTES ({maxBytes} bytes)");

    private static int FirstInvalidByte(ReadOnlySpan<byte> bytes)
    {
        var offset = 0;
        while (offset < bytes.Length)
        {
            if (System.Text.Rune.DecodeFromUtf8(bytes[offset..], out _, out var consumed) != OperationStatus.Done)
                return offset;
            offset += consumed;
        }
        return offset;
    }
}
