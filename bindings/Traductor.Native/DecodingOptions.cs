namespace Traductor.Native;

/// <summary>
/// CTranslate2 translate_batch / score_batch options with CTranslate2's defaults. The native
/// library validates every value and reports the offending option by name.
/// </summary>
public sealed record DecodingOptions
{
    /// <summary>Shared instance with every default.</summary>
    public static DecodingOptions Default { get; } = new();

    /// <summary>Beam width; 1 = greedy search.</summary>
    public int BeamSize { get; init; } = 2;

    /// <summary>Beam search patience factor (&gt; 0).</summary>
    public float Patience { get; init; } = 1;

    /// <summary>Hypotheses returned per example (an upper bound, see the golden README).</summary>
    public int NumHypotheses { get; init; } = 1;

    /// <summary>Exponent of the length normalisation; 0 = raw sum of log-probs.</summary>
    public float LengthPenalty { get; init; } = 1;

    /// <summary>Coverage penalty; 0 disables.</summary>
    public float CoveragePenalty { get; init; }

    /// <summary>Penalty for already generated tokens; 1 disables.</summary>
    public float RepetitionPenalty { get; init; } = 1;

    /// <summary>Forbids repeating n-grams of this size; 0 disables.</summary>
    public int NoRepeatNgramSize { get; init; }

    /// <summary>Never generate &lt;unk&gt;.</summary>
    public bool DisableUnk { get; init; }

    /// <summary>Token sequences that must never be generated.</summary>
    public IReadOnlyList<IReadOnlyList<string>>? SuppressSequences { get; init; }

    /// <summary>Tokens that end a hypothesis; null or empty = the vocabulary's EOS.</summary>
    public IReadOnlyList<string>? EndTokens { get; init; }

    /// <summary>Keep the end token in the returned hypotheses.</summary>
    public bool ReturnEndToken { get; init; }

    /// <summary>Source length limit; 0 disables truncation.</summary>
    public int MaxInputLength { get; init; } = 1024;

    /// <summary>Maximum hypothesis length, target prefix included.</summary>
    public int MaxDecodingLength { get; init; } = 256;

    /// <summary>Minimum hypothesis length, target prefix included.</summary>
    public int MinDecodingLength { get; init; } = 1;

    /// <summary>Return hypothesis scores.</summary>
    public bool ReturnScores { get; init; }

    /// <summary>Use the vocabulary map (when the model has one).</summary>
    public bool UseVmap { get; init; }

    /// <summary>Examples (or tokens, see <see cref="BatchType"/>) per internal batch; 0 = one batch.</summary>
    public int MaxBatchSize { get; init; }

    /// <summary>"examples" or "tokens".</summary>
    public string BatchType { get; init; } = "examples";
}
