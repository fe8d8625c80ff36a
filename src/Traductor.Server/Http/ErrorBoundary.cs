using Microsoft.AspNetCore.Http;

namespace Traductor.Server.Http;

/// <summary>
/// Last line of defence: an exception no handler expected becomes a 500 JSON error; Kestrel's own
/// refusals while reading a body (too large, too slow) keep their status with a JSON body.
/// The log line has the exception type and stack, never its message (it may quote input).
/// </summary>
internal static class ErrorBoundary
{
    public static async Task Guard(HttpContext context, Func<Task> next, Serilog.ILogger log)
    {
        try
        {
            await next().ConfigureAwait(false);
        }
        catch (BadHttpRequestException e) when (!context.Response.HasStarted)
        {
            await Write(context, e.StatusCode).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nobody is left to answer.
        }
        catch (Exception e)
        {
            log.ForContext("exception_type", e.GetType().FullName)
               .ForContext("stack_trace", e.StackTrace)
               .Error("Unhandled error on {endpoint}", (context.GetEndpoint() as Microsoft.AspNetCore.Routing.RouteEndpoint)?.RoutePattern.RawText ?? "unmatched");
            if (!context.Response.HasStarted)
                await Write(context, StatusCodes.Status500InternalServerError).ConfigureAwait(false);
        }
    }

    /// <summary>Gives a JSON body to an error status that was set without one (404, 405, …).</summary>
    public static Task DescribeBareStatus(HttpContext context)
    {
        var (code, message) = ApiErrors.ForStatus(context.Response.StatusCode);
        return context.Response.WriteAsJsonAsync(new ErrorResponse(new ErrorDetail(code, message)));
    }

    private static Task Write(HttpContext context, int status)
    {
        context.Response.Clear();
        context.Response.StatusCode = status;
        var (code, message) = ApiErrors.ForStatus(status);
        context.Items[ApiErrors.CodeItem] = code;
        return context.Response.WriteAsJsonAsync(new ErrorResponse(new ErrorDetail(code, message)));
    }
}
