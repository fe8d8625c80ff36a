namespace Traductor.Core;

/// <summary>The translation of one text with what it cost.</summary>
/// <param name="Translation">The translated text, with the input's whitespace and line structure.</param>
/// <param name="InputTokens">SentencePiece tokens of the input (without NLLB framing).</param>
/// <param name="OutputTokens">Tokens of the output (without language token and end token).</param>
/// <param name="Segments">Segments the text was cut into.</param>
/// <param name="CacheHits">Segments answered from the cache.</param>
/// <param name="HitTokenBudget">True when a segment stopped at the output budget instead of ending: its translation may be incomplete.</param>
public sealed record TextTranslation(string Translation, int InputTokens, int OutputTokens, int Segments, int CacheHits, bool HitTokenBudget);
