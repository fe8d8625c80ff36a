using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Traductor.Server.Metrics;

namespace Traductor.Server.Http;

/// <summary>Times every request and counts it by route pattern, status and direction.</summary>
internal static class RequestAccounting
{
    /// <summary>Key under which /translate leaves the direction code (absent: "none"; unparsable: "invalid").</summary>
    public const string DirectionItem = "traductor.direction";

    public static async Task Measure(HttpContext context, Func<Task> next, ServiceMetrics metrics)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next().ConfigureAwait(false);
        }
        finally
        {
            // The pattern, not the path: a path can carry text and would explode label cardinality.
            var endpoint = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
            var direction = context.Items[DirectionItem] as string ?? "none";
            var status = context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted ? 499 : context.Response.StatusCode;
            metrics.ObserveRequest(endpoint, status, direction, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }
}
