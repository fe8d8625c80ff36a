namespace Traductor.Core.Nllb;

/// <summary>
/// Load-time checks that a model and a tokenizer belong together, so a mismatch is refused with a
/// clear reason instead of producing silent garbage (every unknown piece would become &lt;unk&gt;).
/// </summary>
public static class ModelCompatibility
{
    /// <summary>
    /// Throws <see cref="ModelLoadException"/> when the vocabulary lacks a required language code or
    /// the tokenizer has pieces the vocabulary does not (SentencePiece's control pieces excepted).
    /// Returns the vocabulary entries that are not tokenizer pieces: the model's special tokens.
    /// </summary>
    public static HashSet<string> Check(IReadOnlyList<string> vocabulary, IReadOnlyList<string> tokenizerPieces, string modelPath, string tokenizerPath)
    {
        var vocabularySet = new HashSet<string>(vocabulary, StringComparer.Ordinal);
        var missingCodes = NllbConventions.RequiredLanguageCodes.Where(c => !vocabularySet.Contains(c)).ToList();
        if (missingCodes.Count > 0)
        {
            throw new ModelLoadException(
                $"model {modelPath}: its vocabulary ({vocabulary.Count} tokens) lacks the language code(s) {string.Join(", ", missingCodes)}; " +
                "an NLLB-200 model converted with CTranslate2 is required");
        }
        var missingPieces = tokenizerPieces
            .Where(p => !NllbConventions.TokenizerControlPieces.Contains(p) && !vocabularySet.Contains(p))
            .ToList();
        if (missingPieces.Count > 0)
        {
            throw new ModelLoadException(
                $"tokenizer {tokenizerPath} does not match model {modelPath}: {missingPieces.Count} of its {tokenizerPieces.Count} pieces are not in the model's vocabulary " +
                $"(first: {string.Join(" ", missingPieces.Take(5).Select(p => $"\"{p}\""))}); use the model's own sentencepiece.bpe.model");
        }
        vocabularySet.ExceptWith(tokenizerPieces);
        vocabularySet.UnionWith(NllbConventions.TokenizerControlPieces);
        return vocabularySet;
    }
}
