namespace Traductor.Native;

/// <summary>
/// The hypotheses of one example, best first, including the target prefix and without the end
/// token (unless ReturnEndToken). <paramref name="Scores"/> is empty unless ReturnScores was set.
/// </summary>
public sealed record TranslationResult(IReadOnlyList<IReadOnlyList<string>> Hypotheses, IReadOnlyList<float> Scores);

/// <summary>
/// Teacher-forced scoring of one example: the target tokens plus the final &lt;/s&gt;, each with its
/// log-probability.
/// </summary>
public sealed record ScoringResult(IReadOnlyList<string> Tokens, IReadOnlyList<float> LogProbs);
