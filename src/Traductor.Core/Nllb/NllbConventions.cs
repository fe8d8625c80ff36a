namespace Traductor.Core.Nllb;

/// <summary>
/// How NLLB-200 models expect their input and produce their output: the source is
/// <c>[src_lang] pieces &lt;/s&gt;</c>, decoding is forced to start with <c>[tgt_lang]</c>, and the
/// output's language token, end token and other special tokens are not text.
/// </summary>
public static class NllbConventions
{
    /// <summary>NLLB's code for Spanish.</summary>
    public const string Spanish = "spa_Latn";

    /// <summary>NLLB's code for Danish.</summary>
    public const string Danish = "dan_Latn";

    /// <summary>End of sentence.</summary>
    public const string EndToken = "</s>";

    /// <summary>Tokens the framing adds to a segment's pieces (language code and end token).</summary>
    public const int FramingTokens = 2;

    /// <summary>Every language code this product needs in a model's vocabulary.</summary>
    public static IReadOnlyList<string> RequiredLanguageCodes { get; } = [Spanish, Danish];

    /// <summary>SentencePiece's own control pieces, whose places NLLB gives to its specials: never looked up in the model's vocabulary.</summary>
    public static IReadOnlySet<string> TokenizerControlPieces { get; } = new HashSet<string>(StringComparer.Ordinal) { "<unk>", "<s>", "</s>" };

    /// <summary>Source language code of a direction.</summary>
    public static string SourceLanguage(this Direction direction) => direction == Direction.EsDa ? Spanish : Danish;

    /// <summary>Target language code of a direction.</summary>
    public static string TargetLanguage(this Direction direction) => direction == Direction.EsDa ? Danish : Spanish;

    /// <summary><c>[src_lang] pieces &lt;/s&gt;</c>.</summary>
    public static string[] FrameSource(Direction direction, IReadOnlyList<string> pieces)
    {
        var framed = new string[pieces.Count + FramingTokens];
        framed[0] = direction.SourceLanguage();
        for (var i = 0; i < pieces.Count; i++)
        {
            framed[i + 1] = pieces[i];
        }
        framed[^1] = EndToken;
        return framed;
    }

    /// <summary><c>[tgt_lang]</c>: forces the decoder into the target language.</summary>
    public static string[] TargetPrefix(Direction direction) => [direction.TargetLanguage()];
}
