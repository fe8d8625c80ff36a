namespace Traductor.Core.Segmentation;

/// <summary>A sentence ends at <see cref="SentenceEnd"/>; the next starts at <see cref="NextStart"/> (whitespace between).</summary>
internal readonly record struct SentenceBoundary(int SentenceEnd, int NextStart);

/// <summary>
/// Sentence-boundary rules for Spanish and Danish running text (one line, trimmed). A boundary is a
/// run of terminal punctuation, optional closing quotes or brackets, whitespace, and a next sentence
/// that starts like one. When in doubt the rules do not split: a missed boundary costs a little
/// quality, a wrong one can change meaning ("Sr. | García").
/// </summary>
internal static class SentenceBoundaries
{
    public static List<SentenceBoundary> Find(ReadOnlySpan<char> line)
    {
        var boundaries = new List<SentenceBoundary>();
        var sentenceStart = 0;
        var i = 0;
        while (i < line.Length)
        {
            if (!IsTerminal(line[i]))
            {
                i++;
                continue;
            }
            var runStart = i;
            while (i < line.Length && IsTerminal(line[i]))
            {
                i++;
            }
            var runEnd = i;
            while (i < line.Length && IsCloser(line[i]))
            {
                i++;
            }
            var sentenceEnd = i;
            // "3.5", "f.eks.", "www.uni.dk", "?!»," and the like: punctuation not followed by a space.
            if (i >= line.Length || !char.IsWhiteSpace(line[i]))
            {
                continue;
            }
            while (i < line.Length && char.IsWhiteSpace(line[i]))
            {
                i++;
            }
            if (i >= line.Length)
            {
                break;
            }
            if (EndsSentence(line, sentenceStart, runStart, runEnd, line[i..]))
            {
                boundaries.Add(new SentenceBoundary(sentenceEnd, i));
                sentenceStart = i;
            }
        }
        return boundaries;
    }

    private static bool EndsSentence(ReadOnlySpan<char> line, int sentenceStart, int runStart, int runEnd, ReadOnlySpan<char> next)
    {
        var run = line[runStart..runEnd];
        var strong = run.ContainsAny('?', '!');
        var singlePeriod = run is ".";
        if (singlePeriod)
        {
            var word = WordBefore(line, sentenceStart, runStart);
            if (Abbreviations.IsNeverFinal(word))
            {
                return false;
            }
            // A list marker at the start of a line ("1. Introducción", "IV. Resultater") stays with its item.
            if (IsEnumerator(word) && line[sentenceStart..runStart].Trim().Length == word.Length)
            {
                return false;
            }
        }
        var opened = 0;
        while (opened < next.Length && IsOpener(next[opened]))
        {
            opened++;
        }
        if (opened == next.Length)
        {
            return strong;
        }
        var first = next[opened];
        if (char.IsLetter(first))
        {
            // Danish dates ("1. januar"), "etc. y", "osv. og", "¿Vienes? dijo": lower case continues the sentence.
            return char.IsUpper(first) || !char.IsLower(first);
        }
        if (char.IsDigit(first))
        {
            // "kapitel 3. 2019 var ..." is rarer than "Sección 3. 4 de ellos": only ?/! split before a number.
            return strong;
        }
        return strong || opened > 0;
    }

    /// <summary>The word right before a period, without opening punctuation: "(Sra" → "Sra", "f.eks" stays whole.</summary>
    private static ReadOnlySpan<char> WordBefore(ReadOnlySpan<char> line, int sentenceStart, int periodIndex)
    {
        var start = periodIndex;
        while (start > sentenceStart && !char.IsWhiteSpace(line[start - 1]))
        {
            start--;
        }
        var word = line[start..periodIndex];
        var skip = 0;
        while (skip < word.Length && (IsOpener(word[skip]) || word[skip] is '(' or '['))
        {
            skip++;
        }
        return word[skip..];
    }

    private static bool IsEnumerator(ReadOnlySpan<char> word)
    {
        if (word.IsEmpty)
        {
            return false;
        }
        var allDigits = true;
        var allRoman = true;
        foreach (var c in word)
        {
            allDigits &= char.IsAsciiDigit(c);
            allRoman &= c is 'I' or 'V' or 'X' or 'L' or 'C' or 'D' or 'M';
        }
        return allDigits || allRoman;
    }

    private static bool IsTerminal(char c) => c is '.' or '!' or '?' or '…';

    // Guillemets point both ways: Spanish writes «así», Danish »sådan«.
    private static bool IsCloser(char c) => c is '"' or '\'' or '”' or '’' or '»' or '«' or '›' or '‹' or ')' or ']' or '}';

    private static bool IsOpener(char c) => c is '"' or '\'' or '“' or '‘' or '«' or '»' or '‹' or '›' or '¿' or '¡' or '(' or '[' or '—' or '–' or '-' or '„';
}
