namespace Traductor.Core.Caching;

/// <summary>
/// Identifies one segment translation: the same text translated by another model, in another
/// direction or with other decoding options is a different entry.
/// </summary>
public readonly record struct CacheKey(string ModelId, Direction Direction, int BeamSize, int MaxDecodingLength, string Text)
{
    /// <summary>Estimated bytes the key holds (UTF-16 strings plus fields).</summary>
    internal long EstimatedBytes => 2L * (ModelId.Length + Text.Length) + 16;
}

/// <summary>A cached segment translation with the metadata a cache hit must report.</summary>
public sealed record CachedSegment(string Translation, int InputTokens, int OutputTokens, bool HitTokenBudget)
{
    internal long EstimatedBytes => 2L * Translation.Length + 32;
}
