using Traductor.Core.Segmentation;

namespace Traductor.Core.Tests;

public class LongSentenceSplitterTests
{
    // One token per word and punctuation run: enough to exercise the cut choices without a tokenizer.
    private static int Words(string s) => s.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;

    [Fact]
    public void A_sentence_that_fits_is_returned_whole()
    {
        var pieces = LongSentenceSplitter.Split("uno dos tres", Words, 3);
        Assert.Equal([new TextPiece(TextPieceKind.Sentence, "uno dos tres")], pieces);
    }

    [Fact]
    public void Clause_boundaries_are_preferred_over_word_boundaries()
    {
        var sentence = "a b c d e, f g h i j k l, m n o";
        var pieces = LongSentenceSplitter.Split(sentence, Words, 8);
        Assert.Equal(["a b c d e,", "f g h i j k l,", "m n o"], pieces.Where(p => p.Kind == TextPieceKind.Sentence).Select(p => p.Text));
        Assert.Equal(sentence, string.Concat(pieces.Select(p => p.Text)));
    }

    [Fact]
    public void Without_clauses_it_cuts_at_the_last_fitting_word()
    {
        var sentence = "uno  dos tres cuatro cinco seis siete";
        var pieces = LongSentenceSplitter.Split(sentence, Words, 3);
        Assert.Equal(["uno  dos tres", "cuatro cinco seis", "siete"], pieces.Where(p => p.Kind == TextPieceKind.Sentence).Select(p => p.Text));
        Assert.Equal(sentence, string.Concat(pieces.Select(p => p.Text)));
    }

    [Fact]
    public void A_single_overlong_word_is_cut_between_characters_never_inside_a_surrogate_pair()
    {
        var word = string.Concat(Enumerable.Repeat("ab😀", 20));
        var pieces = LongSentenceSplitter.Split(word, s => s.Length, 7);
        Assert.Equal(word, string.Concat(pieces.Select(p => p.Text)));
        Assert.All(pieces, p => Assert.True(p.Text.Length <= 7));
        Assert.All(pieces, p => Assert.False(char.IsLowSurrogate(p.Text[0])));
    }
}
