namespace Traductor.Core.Segmentation;

/// <summary>
/// Splits a sentence that is too long for the engine into chunks that fit, so that nothing is ever
/// cut off. Chunks end, in order of preference, at a clause boundary (after , ; : ) — –), at a word
/// boundary, or — only for a single "word" longer than the limit — between two characters. The
/// whitespace between chunks becomes a separator, so concatenating the pieces gives the sentence back.
/// </summary>
public static class LongSentenceSplitter
{
    /// <summary>
    /// Splits <paramref name="sentence"/> into pieces whose sentence parts each count at most
    /// <paramref name="maxTokens"/> tokens by <paramref name="countTokens"/>.
    /// </summary>
    public static IReadOnlyList<TextPiece> Split(string sentence, Func<string, int> countTokens, int maxTokens)
    {
        ArgumentNullException.ThrowIfNull(sentence);
        ArgumentNullException.ThrowIfNull(countTokens);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 1);
        var pieces = new List<TextPiece>();
        var start = 0;
        while (start < sentence.Length && countTokens(sentence[start..]) > maxTokens)
        {
            var (chunkEnd, nextStart) = ChooseCut(sentence, start, countTokens, maxTokens);
            pieces.Add(new TextPiece(TextPieceKind.Sentence, sentence[start..chunkEnd]));
            Segmenter.AddSeparator(pieces, sentence[chunkEnd..nextStart]);
            start = nextStart;
        }
        if (start < sentence.Length)
        {
            pieces.Add(new TextPiece(TextPieceKind.Sentence, sentence[start..]));
        }
        return pieces;
    }

    private static (int ChunkEnd, int NextStart) ChooseCut(string text, int start, Func<string, int> countTokens, int maxTokens)
    {
        var clauseCuts = new List<int>();
        var wordCuts = new List<int>();
        for (var i = start + 1; i < text.Length; i++)
        {
            if (char.IsWhiteSpace(text[i]) && !char.IsWhiteSpace(text[i - 1]))
            {
                (IsClauseEnd(text[i - 1]) ? clauseCuts : wordCuts).Add(i);
            }
        }
        wordCuts.AddRange(clauseCuts);
        wordCuts.Sort();
        int Count(int end) => countTokens(text[start..end]);

        // A clause boundary wins when it keeps at least half of what fits; otherwise the chunk would
        // be so short that a word boundary near the limit serves the translation better.
        var clause = LargestFitting(clauseCuts, Count, maxTokens);
        var cut = clause >= 0 && Count(clause) * 2 >= maxTokens ? clause : LargestFitting(wordCuts, Count, maxTokens);
        if (cut < 0)
        {
            cut = LargestFittingCharacterCut(text, start, Count, maxTokens);
            return (cut, cut);
        }
        var next = cut;
        while (next < text.Length && char.IsWhiteSpace(text[next]))
        {
            next++;
        }
        return (cut, next);
    }

    /// <summary>The largest cut whose prefix fits, or -1. Token counts grow almost monotonically with the prefix, so a binary search lands next to the answer and a short walk confirms it.</summary>
    private static int LargestFitting(List<int> cuts, Func<int, int> count, int maxTokens)
    {
        int low = 0, high = cuts.Count - 1, found = -1;
        while (low <= high)
        {
            var mid = (low + high) / 2;
            if (count(cuts[mid]) <= maxTokens)
            {
                found = mid;
                low = mid + 1;
            }
            else
            {
                high = mid - 1;
            }
        }
        while (found >= 0 && count(cuts[found]) > maxTokens)
        {
            found--;
        }
        return found >= 0 ? cuts[found] : -1;
    }

    private static int LargestFittingCharacterCut(string text, int start, Func<int, int> count, int maxTokens)
    {
        int low = start + 1, high = text.Length - 1, found = start + 1;
        while (low <= high)
        {
            var mid = (low + high) / 2;
            if (count(mid) <= maxTokens)
            {
                found = mid;
                low = mid + 1;
            }
            else
            {
                high = mid - 1;
            }
        }
        // Never separate a surrogate pair or a base letter from its combining accent.
        while (found > start + 1 && (char.IsLowSurrogate(text[found]) || IsCombining(text[found])))
        {
            found--;
        }
        if (found < text.Length && char.IsLowSurrogate(text[found]))
        {
            found++;
        }
        return found;
    }

    private static bool IsCombining(char c) =>
        char.GetUnicodeCategory(c) is System.Globalization.UnicodeCategory.NonSpacingMark
            or System.Globalization.UnicodeCategory.SpacingCombiningMark
            or System.Globalization.UnicodeCategory.EnclosingMark;

    private static bool IsClauseEnd(char c) => c is ',' or ';' or ':' or ')' or ']' or '—' or '–' or '»' or '”';
}
