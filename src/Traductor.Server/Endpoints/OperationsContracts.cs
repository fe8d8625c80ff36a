using System.Text.Json;

namespace Traductor.Server.Endpoints;

/// <summary>GET /health: <c>status</c> is "ok", "loading" or "failed".</summary>
public sealed record HealthResponse(
    string Status,
    bool ModelLoaded,
    bool SmokeModel,
    string? Warning,
    string? Reason,
    double UptimeSeconds);

/// <summary>Cache statistics as /info and /cache/clear show them.</summary>
public sealed record CacheInfo(long Entries, long Bytes, long Hits, long Misses, double HitRate, long Evictions, long MaxEntries, long MaxBytes);

/// <summary>POST /cache/clear: what was removed, and the cache after.</summary>
public sealed record CacheClearResponse(long ClearedEntries, long ClearedBytes, CacheInfo Cache);

/// <summary>The model as /info shows it.</summary>
public sealed record ModelInfo(
    string Status,
    bool Loaded,
    string Path,
    bool SmokeModel,
    string? Warning,
    string? FailureReason,
    double? LoadSeconds,
    IReadOnlyList<string>? Directions,
    JsonElement? Engine);

/// <summary>The native engine library.</summary>
public sealed record EngineInfo(string? NativeVersion, uint? AbiVersion, string? Error);

/// <summary>Request limits in force.</summary>
public sealed record LimitsInfo(
    int MaxInputTokens,
    int DefaultMaxNewTokens,
    int MaxMaxNewTokens,
    int BeamSize,
    int MaxBeamSize,
    double RequestTimeoutSeconds,
    int MaxBatchSize,
    int MaxQueuedSegments,
    long MaxRequestBytes,
    int MaxTextsPerRequest);

/// <summary>GET /info.</summary>
public sealed record InfoResponse(
    string Service,
    string Version,
    double UptimeSeconds,
    DateTimeOffset StartedAt,
    ModelInfo Model,
    EngineInfo Engine,
    CacheInfo? Cache,
    int? QueueDepth,
    long? TokensGenerated,
    LimitsInfo Limits,
    IReadOnlyDictionary<string, string?> Configuration);

/// <summary>An entry of GET /languages, in LibreTranslate's shape (plus the NLLB code).</summary>
public sealed record LanguageInfo(string Code, string Name, string NllbCode, IReadOnlyList<string> Targets);
