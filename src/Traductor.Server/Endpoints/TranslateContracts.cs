namespace Traductor.Server.Endpoints;

/// <summary>
/// The POST /translate body as documented in OpenAPI. The service reads the JSON itself (to answer bad
/// input with precise 4xx errors), so this type only describes it. <c>text</c> may also be an array
/// (then the response has <c>translations</c>); <c>q</c>, <c>source_lang</c>/<c>target_lang</c> and
/// <c>source</c>/<c>target</c> are accepted as DeepL and LibreTranslate clients send them.
/// </summary>
/// <param name="Text">The text to translate (or an array of texts).</param>
/// <param name="Texts">Several texts, translated together; the response keeps their order.</param>
/// <param name="Direction">"es-da" or "da-es".</param>
/// <param name="MaxNewTokens">Output budget per sentence, 1..MAX_MAX_NEW_TOKENS (default DEFAULT_MAX_NEW_TOKENS).</param>
/// <param name="BeamSize">Beam width, 1..MAX_BEAM_SIZE (default BEAM_SIZE).</param>
public sealed record TranslateRequestBody(string? Text, IReadOnlyList<string>? Texts, string Direction, int? MaxNewTokens, int? BeamSize);

/// <summary>One translated text and what it cost.</summary>
/// <param name="Translation">The translation, with the input's whitespace and line structure.</param>
/// <param name="InputTokens">Tokens of the input.</param>
/// <param name="OutputTokens">Tokens of the output.</param>
/// <param name="Segments">Sentences or chunks the text was translated in.</param>
/// <param name="CacheHits">Segments answered from the cache.</param>
/// <param name="HitTokenBudget">True when a segment stopped at max_new_tokens: the translation may be incomplete.</param>
public sealed record TextResult(string Translation, int InputTokens, int OutputTokens, int Segments, int CacheHits, bool HitTokenBudget);

/// <summary>
/// The POST /translate answer. A single-text request gets <see cref="Translation"/>; a batch gets
/// <see cref="Translations"/> in request order. Counts are totals over the request.
/// </summary>
public sealed record TranslateResponse
{
    /// <summary>The translation of a single-text request.</summary>
    public string? Translation { get; init; }

    /// <summary>The translations of a batch request, in order.</summary>
    public IReadOnlyList<TextResult>? Translations { get; init; }

    /// <summary>The direction translated.</summary>
    public required string Direction { get; init; }

    /// <summary>Total input tokens.</summary>
    public int InputTokens { get; init; }

    /// <summary>Total output tokens.</summary>
    public int OutputTokens { get; init; }

    /// <summary>Total segments.</summary>
    public int Segments { get; init; }

    /// <summary>Segments answered from the cache.</summary>
    public int CacheHits { get; init; }

    /// <summary>True when any segment stopped at the output budget (raise max_new_tokens).</summary>
    public bool HitTokenBudget { get; init; }

    /// <summary>Time spent in the service.</summary>
    public long LatencyMs { get; init; }
}
