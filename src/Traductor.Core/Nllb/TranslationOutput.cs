namespace Traductor.Core.Nllb;

/// <summary>
/// Turns an engine hypothesis (<c>[tgt_lang] pieces [&lt;/s&gt;]</c>, requested with
/// return_end_token) into the pieces to detokenize, and tells whether decoding ended by itself.
/// </summary>
public sealed class TranslationOutput
{
    private readonly IReadOnlySet<string> _specialTokens;

    /// <summary>
    /// <paramref name="specialTokens"/>: vocabulary entries that are not SentencePiece pieces
    /// (language codes, &lt;s&gt;, &lt;pad&gt;, &lt;/s&gt;, &lt;unk&gt;, &lt;mask&gt;): dropped from the text, as
    /// Hugging Face's <c>skip_special_tokens</c> does.
    /// </summary>
    public TranslationOutput(IReadOnlySet<string> specialTokens) => _specialTokens = specialTokens;

    /// <summary>Text pieces of <paramref name="hypothesis"/>, and whether it stopped at the length limit (no end token).</summary>
    public (List<string> Pieces, bool HitBudget) Clean(IReadOnlyList<string> hypothesis, Direction direction)
    {
        var end = hypothesis.Count;
        var ended = end > 0 && hypothesis[end - 1] == NllbConventions.EndToken;
        if (ended)
        {
            end--;
        }
        var start = end > 0 && hypothesis[0] == direction.TargetLanguage() ? 1 : 0;
        var pieces = new List<string>(Math.Max(0, end - start));
        for (var i = start; i < end; i++)
        {
            if (!_specialTokens.Contains(hypothesis[i]))
            {
                pieces.Add(hypothesis[i]);
            }
        }
        return (pieces, !ended);
    }
}
