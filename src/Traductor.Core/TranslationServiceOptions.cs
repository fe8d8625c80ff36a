namespace Traductor.Core;

/// <summary>How a <see cref="TranslationService"/> loads its model and schedules work.</summary>
public sealed record TranslationServiceOptions
{
    /// <summary>CTranslate2 model directory (model.bin, config.json, vocabulary).</summary>
    public required string ModelPath { get; init; }

    /// <summary>SentencePiece model; default <c>&lt;ModelPath&gt;/sentencepiece.bpe.model</c>.</summary>
    public string? TokenizerPath { get; init; }

    /// <summary>Engine compute type: "default", "float32", "int8", "int8_float32".</summary>
    public string ComputeType { get; init; } = "default";

    /// <summary>Engine replicas (batches run in parallel); also the number of batch worker threads.</summary>
    public int InterThreads { get; init; } = 1;

    /// <summary>Compute threads per replica; 0 lets the engine choose.</summary>
    public int IntraThreads { get; init; } = 0;

    /// <summary>Most segments decoded together in one engine call.</summary>
    public int MaxBatchSize { get; init; } = 16;

    /// <summary>Most segments waiting for the engine; a request that would exceed it gets <see cref="QueueFullException"/>.</summary>
    public int MaxQueuedSegments { get; init; } = 4096;

    /// <summary>How long the first waiting segment waits for others to share its batch.</summary>
    public TimeSpan BatchWindow { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Beam width when a request names none.</summary>
    public int BeamSize { get; init; } = 4;

    /// <summary>Output budget per segment, in tokens, when a request names none.</summary>
    public int DefaultMaxNewTokens { get; init; } = 1024;

    /// <summary>The largest output budget a request may ask for.</summary>
    public int MaxMaxNewTokens { get; init; } = 8192;

    /// <summary>Most SentencePiece tokens accepted in one text (MAX_INPUT_TOKENS).</summary>
    public int MaxInputTokens { get; init; } = 4096;

    /// <summary>
    /// Longest segment sent to the engine, in tokens including the NLLB framing. Longer sentences are
    /// split at clause, then word boundaries. The model's own limit (its position table) caps it too:
    /// NLLB translates long sentences worse than two halves, long before it runs out of positions.
    /// </summary>
    public int MaxSegmentTokens { get; init; } = 256;

    /// <summary>Most cached segment translations.</summary>
    public int CacheMaxEntries { get; init; } = 10_000;

    /// <summary>Most bytes (estimated) held by the cache.</summary>
    public long CacheMaxBytes { get; init; } = 64L << 20;
}
