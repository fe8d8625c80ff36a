namespace Traductor.Core;

/// <summary>A snapshot of the translation cache. Hits, misses and evictions count since start-up.</summary>
public sealed record CacheStatistics(long Entries, long Bytes, long Hits, long Misses, long Evictions, long MaxEntries, long MaxBytes)
{
    /// <summary>Hits / (hits + misses); 0 before any lookup.</summary>
    public double HitRate => Hits + Misses == 0 ? 0 : (double)Hits / (Hits + Misses);
}
