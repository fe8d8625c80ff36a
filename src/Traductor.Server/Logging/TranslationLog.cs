using Microsoft.AspNetCore.Http;
using Traductor.Core;
using Traductor.Server.Http;

namespace Traductor.Server.Logging;

/// <summary>
/// The handbook's per-request log lines. Text reaches them only when LOG_TRANSLATIONS=true; otherwise
/// they carry lengths, counts, direction and latency.
/// </summary>
internal sealed class TranslationLog(Serilog.ILogger log, bool logTranslations)
{
    public void Completed(TranslateRequest request, IReadOnlyList<TextTranslation> results, TimeSpan elapsed)
    {
        var segments = results.Sum(r => r.Segments);
        var cacheHits = results.Sum(r => r.CacheHits);
        var line = log
            .ForContext("latency_ms", (long)elapsed.TotalMilliseconds)
            .ForContext("input_length", request.Texts.Sum(t => t.Length))
            .ForContext("output_length", results.Sum(r => r.Translation.Length))
            .ForContext("direction", request.Direction.Code())
            .ForContext("cache_hit", segments > 0 && cacheHits == segments)
            .ForContext("cache_hits", cacheHits)
            .ForContext("segments", segments)
            .ForContext("texts", request.Texts.Count)
            .ForContext("input_tokens", results.Sum(r => r.InputTokens))
            .ForContext("output_tokens", results.Sum(r => r.OutputTokens))
            .ForContext("hit_token_budget", results.Any(r => r.HitTokenBudget));
        if (logTranslations)
            line = line.ForContext("input_text", request.Texts).ForContext("output_text", results.Select(r => r.Translation).ToList());
        line.Information("Translation completed");
    }

    /// <summary>A refused or failed request: status and code only (their messages never quote text, but codes are enough).</summary>
    public void Refused(int status, string code, TranslateRequest? request, TimeSpan elapsed)
    {
        var line = log
            .ForContext("latency_ms", (long)elapsed.TotalMilliseconds)
            .ForContext("status", status)
            .ForContext("code", code)
            .ForContext("direction", request?.Direction.Code());
        if (request is not null)
            line = line.ForContext("input_length", request.Texts.Sum(t => t.Length)).ForContext("texts", request.Texts.Count);
        // Timeouts and internal errors are the operator's concern; refusals of bad input are the client's.
        if (status >= 500 && status != StatusCodes.Status503ServiceUnavailable)
            line.Warning("Translation failed");
        else
            line.Information("Translation refused");
    }
}
