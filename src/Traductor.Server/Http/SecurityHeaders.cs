using Microsoft.AspNetCore.Http;

namespace Traductor.Server.Http;

/// <summary>Headers every response carries, errors included (set when the response starts, whoever writes it).</summary>
internal static class SecurityHeaders
{
    public static Task Apply(HttpContext context, Func<Task> next)
    {
        context.Response.OnStarting(static state =>
        {
            var headers = ((HttpContext)state).Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers.CacheControl = "no-store";
            headers.XFrameOptions = "DENY";
            headers.ContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";
            headers["Referrer-Policy"] = "no-referrer";
            headers["Cross-Origin-Resource-Policy"] = "same-origin";
            headers["Permissions-Policy"] = "()";
            headers.Remove("Server");
            return Task.CompletedTask;
        }, context);
        return next();
    }
}
