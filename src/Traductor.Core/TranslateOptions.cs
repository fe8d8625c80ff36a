namespace Traductor.Core;

/// <summary>Per-request decoding choices; null means the service default.</summary>
public sealed record TranslateOptions
{
    /// <summary>Beam width (1 = greedy).</summary>
    public int? BeamSize { get; init; }

    /// <summary>Output budget per segment (sentence), in tokens.</summary>
    public int? MaxNewTokens { get; init; }
}
