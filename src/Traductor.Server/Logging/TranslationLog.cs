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
        List<(string, object?)> fields =
        [
            ("latency_ms", (long)elapsed.TotalMilliseconds),
            ("input_length", request.Texts.Sum(t => t.Length)),
            ("output_length", results.Sum(r => r.Translation.Length)),
            ("direction", request.Direction.Code()),
            ("cache_hit", segments > 0 && cacheHits == segments),
            ("cache_hits", cacheHits),
            ("segments", segments),
            ("texts", request.Texts.Count),
            ("input_tokens", results.Sum(r => r.InputTokens)),
            ("output_tokens", results.Sum(r => r.OutputTokens)),
            ("hit_token_budget", results.Any(r => r.HitTokenBudget)),
        ];
        if (logTranslations)
        {
            fields.Add(("input_text", request.Texts));
            fields.Add(("output_text", results.Select(r => r.Translation).ToList()));
        }
        var line = WithFields(fields);
        line.Information("Translation completed");
    }

    /// <summary>A refused or failed request: status and code only (their messages never quote text, but codes are enough).</summary>
    public void Refused(int status, string code, TranslateRequest? request, TimeSpan elapsed)
    {
        List<(string, object?)> fields =
        [
            ("latency_ms", (long)elapsed.TotalMilliseconds),
            ("status", status),
            ("code", code),
        ];
        if (request is not null)
        {
            fields.Add(("direction", request.Direction.Code()));
            fields.Add(("input_length", request.Texts.Sum(t => t.Length)));
            fields.Add(("texts", request.Texts.Count));
        }
        var line = WithFields(fields);
        // Timeouts and internal errors are the operator's concern; refusals of bad input are the client's.
        if (status >= 500 && status != StatusCodes.Status503ServiceUnavailable)
            line.Warning("Translation failed");
        else
            line.Information("Translation refused");
    }

    /// <summary>Binds fields so they print in this order (Serilog applies ForContext enrichers last-first).</summary>
    private Serilog.ILogger WithFields(List<(string Name, object? Value)> fields)
    {
        var line = log;
        for (var i = fields.Count - 1; i >= 0; i--)
            line = line.ForContext(fields[i].Name, fields[i].Value);
        return line;
    }
}
