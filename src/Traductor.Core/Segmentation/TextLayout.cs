namespace Traductor.Core.Segmentation;

/// <summary>Whether a piece of text is translated or kept verbatim.</summary>
public enum TextPieceKind
{
    /// <summary>Whitespace and line breaks between sentences, kept exactly.</summary>
    Separator,

    /// <summary>A sentence (or part of one) sent to the engine.</summary>
    Sentence,
}

/// <summary>One piece of a text: a sentence or the separator between two.</summary>
public readonly record struct TextPiece(TextPieceKind Kind, string Text);

/// <summary>
/// A text cut into sentences and the separators between them. Concatenating all pieces gives the
/// original text back exactly, which is how whitespace and paragraph structure survive translation.
/// </summary>
public sealed class TextLayout
{
    /// <summary>Creates a layout from pieces whose concatenation is the text.</summary>
    public TextLayout(IReadOnlyList<TextPiece> pieces) => Pieces = pieces;

    /// <summary>The pieces in text order.</summary>
    public IReadOnlyList<TextPiece> Pieces { get; }

    /// <summary>The sentence pieces' texts, in order.</summary>
    public IEnumerable<string> Sentences => Pieces.Where(p => p.Kind == TextPieceKind.Sentence).Select(p => p.Text);

    /// <summary>The text with each sentence replaced by <paramref name="sentenceTexts"/>[i] and separators kept.</summary>
    public string Reassemble(IReadOnlyList<string> sentenceTexts)
    {
        var builder = new System.Text.StringBuilder();
        var next = 0;
        foreach (var piece in Pieces)
        {
            if (piece.Kind == TextPieceKind.Separator)
            {
                builder.Append(piece.Text);
                continue;
            }
            if (next >= sentenceTexts.Count)
            {
                throw new ArgumentException("fewer sentence texts than sentences in the layout", nameof(sentenceTexts));
            }
            builder.Append(sentenceTexts[next++]);
        }
        if (next != sentenceTexts.Count)
        {
            throw new ArgumentException("more sentence texts than sentences in the layout", nameof(sentenceTexts));
        }
        return builder.ToString();
    }

    /// <summary>The original text.</summary>
    public override string ToString() => string.Concat(Pieces.Select(p => p.Text));
}
