using Traductor.Core;

namespace Traductor.Server.Settings;

/// <summary>
/// Every setting of the service, validated. Built by <see cref="SettingsLoader"/> from variables named
/// exactly as in the operations handbook (MODEL_PATH, MAX_INPUT_TOKENS, …).
/// </summary>
public sealed record ServerSettings
{
    /// <summary>MODEL_PATH: CTranslate2 model directory.</summary>
    public string ModelPath { get; init; } = "models/nllb-200-distilled-600M-ct2-int8";

    /// <summary>TOKENIZER_PATH: SentencePiece model; null = the one inside the model directory.</summary>
    public string? TokenizerPath { get; init; }

    /// <summary>COMPUTE_TYPE: engine compute type.</summary>
    public string ComputeType { get; init; } = "default";

    /// <summary>MAX_INPUT_TOKENS: most tokens accepted per text.</summary>
    public int MaxInputTokens { get; init; } = 4096;

    /// <summary>DEFAULT_MAX_NEW_TOKENS: output budget when a request names none.</summary>
    public int DefaultMaxNewTokens { get; init; } = 1024;

    /// <summary>MAX_MAX_NEW_TOKENS: the largest output budget a request may ask for.</summary>
    public int MaxMaxNewTokens { get; init; } = 8192;

    /// <summary>REQUEST_TIMEOUT: a request still running after this is cancelled and answered 504.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>MAX_BATCH_SIZE: most segments decoded together.</summary>
    public int MaxBatchSize { get; init; } = 16;

    /// <summary>MAX_QUEUED_SEGMENTS: most segments waiting for the engine before requests get 429.</summary>
    public int MaxQueuedSegments { get; init; } = 4096;

    /// <summary>CT2_INTER_THREADS: engine replicas.</summary>
    public int InterThreads { get; init; } = 4;

    /// <summary>CT2_INTRA_THREADS: threads per replica (0 = engine default).</summary>
    public int IntraThreads { get; init; } = 4;

    /// <summary>BEAM_SIZE: beam width when a request names none.</summary>
    public int BeamSize { get; init; } = 4;

    /// <summary>MAX_BEAM_SIZE: the widest beam a request may ask for.</summary>
    public int MaxBeamSize { get; init; } = 8;

    /// <summary>CACHE_MAX_ENTRIES: most cached segment translations.</summary>
    public int CacheMaxEntries { get; init; } = 10_000;

    /// <summary>CACHE_MAX_BYTES: most bytes held by the cache.</summary>
    public long CacheMaxBytes { get; init; } = 64L << 20;

    /// <summary>MAX_REQUEST_BYTES: largest accepted request body.</summary>
    public long MaxRequestBytes { get; init; } = 2L << 20;

    /// <summary>MAX_TEXTS_PER_REQUEST: most texts in one batch request.</summary>
    public int MaxTextsPerRequest { get; init; } = 128;

    /// <summary>SHUTDOWN_TIMEOUT: how long shutdown waits for in-flight requests.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>LOG_TRANSLATIONS: only when true may text content reach the logs.</summary>
    public bool LogTranslations { get; init; }

    /// <summary>LOG_LEVEL: minimum level of the service's own log lines.</summary>
    public Serilog.Events.LogEventLevel LogLevel { get; init; } = Serilog.Events.LogEventLevel.Information;

    /// <summary>HOST: listen address (an IP address or "localhost").</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>PORT: listen port; 0 picks a free one (tests).</summary>
    public int Port { get; init; } = 8000;

    /// <summary>The options handed to Core's <see cref="TranslationService"/>.</summary>
    public TranslationServiceOptions ToServiceOptions() => new()
    {
        ModelPath = ModelPath,
        TokenizerPath = TokenizerPath,
        ComputeType = ComputeType,
        InterThreads = InterThreads,
        IntraThreads = IntraThreads,
        MaxBatchSize = MaxBatchSize,
        MaxQueuedSegments = MaxQueuedSegments,
        BeamSize = BeamSize,
        DefaultMaxNewTokens = DefaultMaxNewTokens,
        MaxMaxNewTokens = MaxMaxNewTokens,
        MaxInputTokens = MaxInputTokens,
        CacheMaxEntries = CacheMaxEntries,
        CacheMaxBytes = CacheMaxBytes,
    };
}
