namespace Traductor.Core.Segmentation;

/// <summary>
/// Cuts a text into lines, then each line into sentences, keeping every separator aside: line
/// breaks, blank lines, indentation, trailing spaces and the spaces between sentences come back
/// byte for byte. A line is the largest unit ever translated together, because a line break inside
/// a sentence cannot be placed in its translation.
/// </summary>
public static class Segmenter
{
    /// <summary>Splits <paramref name="text"/>; the layout's pieces concatenate to it exactly.</summary>
    public static TextLayout Split(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var pieces = new List<TextPiece>();
        var position = 0;
        while (position < text.Length)
        {
            var found = text.AsSpan(position).IndexOfAny(LineBreaks);
            var lineEnd = found < 0 ? text.Length : position + found;
            SplitLine(text, position, lineEnd, pieces);
            var breakEnd = lineEnd;
            while (breakEnd < text.Length && IsLineBreak(text[breakEnd]))
            {
                breakEnd++;
            }
            AddSeparator(pieces, text[lineEnd..breakEnd]);
            position = breakEnd;
        }
        return new TextLayout(pieces);
    }

    /// <summary>Line terminators: a sentence never spans one.</summary>
    public static System.Buffers.SearchValues<char> LineBreaks { get; } = System.Buffers.SearchValues.Create("\n\r\u0085\u2028\u2029\v\f");

    /// <summary>True for a line terminator (<see cref="LineBreaks"/>).</summary>
    public static bool IsLineBreak(char c) => LineBreaks.Contains(c);

    private static void SplitLine(string text, int start, int end, List<TextPiece> pieces)
    {
        var contentStart = start;
        while (contentStart < end && char.IsWhiteSpace(text[contentStart]))
        {
            contentStart++;
        }
        var contentEnd = end;
        while (contentEnd > contentStart && char.IsWhiteSpace(text[contentEnd - 1]))
        {
            contentEnd--;
        }
        AddSeparator(pieces, text[start..contentStart]);
        var sentenceStart = contentStart;
        foreach (var boundary in SentenceBoundaries.Find(text.AsSpan(contentStart, contentEnd - contentStart)))
        {
            var sentenceEnd = contentStart + boundary.SentenceEnd;
            var nextStart = contentStart + boundary.NextStart;
            pieces.Add(new TextPiece(TextPieceKind.Sentence, text[sentenceStart..sentenceEnd]));
            AddSeparator(pieces, text[sentenceEnd..nextStart]);
            sentenceStart = nextStart;
        }
        if (contentEnd > sentenceStart)
        {
            pieces.Add(new TextPiece(TextPieceKind.Sentence, text[sentenceStart..contentEnd]));
        }
        AddSeparator(pieces, text[contentEnd..end]);
    }

    /// <summary>Adds a separator, merging it into a preceding one so separators never sit side by side.</summary>
    internal static void AddSeparator(List<TextPiece> pieces, string separator)
    {
        if (separator.Length == 0)
        {
            return;
        }
        if (pieces.Count > 0 && pieces[^1].Kind == TextPieceKind.Separator)
        {
            pieces[^1] = new TextPiece(TextPieceKind.Separator, pieces[^1].Text + separator);
            return;
        }
        pieces.Add(new TextPiece(TextPieceKind.Separator, separator));
    }
}
