using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Traductor.Server.Http;

/// <summary>The error body every endpoint answers with: <c>{"error":{"code","message"}}</c>.</summary>
public sealed record ErrorResponse(ErrorDetail Error);

/// <summary>A stable machine-readable <paramref name="Code"/> and a message that never quotes request text.</summary>
public sealed record ErrorDetail(string Code, string Message);

/// <summary>A request the service refuses, with its HTTP status. Thrown while reading a request, turned into a response by the handler.</summary>
internal sealed class ApiException(int status, string code, string message) : Exception(message)
{
    public int Status { get; } = status;

    public string Code { get; } = code;

    /// <summary>Seconds the client should wait before retrying (429, 503), or null.</summary>
    public int? RetryAfterSeconds { get; init; }

    public JsonHttpResult<ErrorResponse> ToResult(HttpContext context) => ApiErrors.Result(context, Status, Code, Message, RetryAfterSeconds);
}

internal static class ApiErrors
{
    /// <summary>Key under which a handler leaves its error code for the request log and metrics.</summary>
    public const string CodeItem = "traductor.error_code";

    public static JsonHttpResult<ErrorResponse> Result(HttpContext context, int status, string code, string message, int? retryAfterSeconds = null)
    {
        context.Items[CodeItem] = code;
        if (retryAfterSeconds is { } seconds)
            context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Json(new ErrorResponse(new ErrorDetail(code, message)), statusCode: status);
    }

    /// <summary>The generic code for a status the framework produced itself (404, 405, Kestrel's 400/413).</summary>
    public static (string Code, string Message) ForStatus(int status) => status switch
    {
        StatusCodes.Status400BadRequest => ("bad_request", "the request is malformed"),
        StatusCodes.Status404NotFound => ("not_found", "no such endpoint; see /openapi/v1.json"),
        StatusCodes.Status405MethodNotAllowed => ("method_not_allowed", "this endpoint does not accept that HTTP method"),
        StatusCodes.Status408RequestTimeout => ("request_timeout", "the request body arrived too slowly"),
        StatusCodes.Status411LengthRequired => ("length_required", "a Content-Length or chunked body is required"),
        StatusCodes.Status413PayloadTooLarge => ("body_too_large", "the request body is larger than MAX_REQUEST_BYTES"),
        StatusCodes.Status415UnsupportedMediaType => ("unsupported_media_type", "Content-Type must be application/json"),
        StatusCodes.Status431RequestHeaderFieldsTooLarge => ("headers_too_large", "the request headers are too large"),
        >= 500 => ("internal", "internal error; the service log has the details"),
        _ => ("http_" + status.ToString(System.Globalization.CultureInfo.InvariantCulture), "the request was refused"),
    };
}
