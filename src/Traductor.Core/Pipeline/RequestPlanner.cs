using Traductor.Core.Caching;
using Traductor.Core.Nllb;
using Traductor.Core.Scheduling;
using Traductor.Core.Segmentation;
using Traductor.Native;

namespace Traductor.Core.Pipeline;

/// <summary>
/// Turns the texts of one request into segments: cut into sentences, looked up in the cache,
/// tokenized and framed when missing, split further when too long for the engine. Equal segments
/// of a request become one job. The cache is consulted before tokenizing, so a fully cached text
/// never reaches the tokenizer.
/// </summary>
internal sealed class RequestPlanner(
    NativeTokenizer tokenizer,
    TranslationCache cache,
    string modelId,
    int maxSegmentPieces,
    int maxInputTokens,
    long maxInputChars)
{
    private readonly Dictionary<string, PlannedSegment> _seen = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyList<string>> _encoded = new(StringComparer.Ordinal);

    public List<SegmentJob> Jobs { get; } = [];

    public TextPlan Plan(string text, int textIndex, Direction direction, DecodingSettings settings)
    {
        if (CountNonWhiteSpace(text) > maxInputChars)
        {
            throw TooLong(textIndex, $"more than {maxInputTokens}");
        }
        var pieces = new List<TextPiece>();
        var segments = new List<PlannedSegment>();
        var inputTokens = 0;
        foreach (var piece in Segmenter.Split(text).Pieces)
        {
            if (piece.Kind == TextPieceKind.Separator)
            {
                Segmenter.AddSeparator(pieces, piece.Text);
                continue;
            }
            var whole = Lookup(piece.Text, direction, settings, mustFit: false);
            var parts = whole is not null
                ? [piece]
                : LongSentenceSplitter.Split(piece.Text, s => Encode(s).Count, maxSegmentPieces);
            foreach (var part in parts)
            {
                if (part.Kind == TextPieceKind.Separator)
                {
                    Segmenter.AddSeparator(pieces, part.Text);
                    continue;
                }
                var segment = whole ?? Lookup(part.Text, direction, settings, mustFit: true)!;
                pieces.Add(part);
                segments.Add(segment);
                inputTokens += segment.Cached?.InputTokens ?? Jobs[segment.JobIndex].Source.Count - NllbConventions.FramingTokens;
            }
            if (inputTokens > maxInputTokens)
            {
                throw TooLong(textIndex, $"at least {inputTokens}");
            }
        }
        return new TextPlan(new TextLayout(pieces), segments);
    }

    /// <summary>
    /// The segment for <paramref name="text"/>: cached, already planned, or a new job. Returns null
    /// when <paramref name="mustFit"/> is false and the text needs splitting first.
    /// </summary>
    private PlannedSegment? Lookup(string text, Direction direction, DecodingSettings settings, bool mustFit)
    {
        if (_seen.TryGetValue(text, out var known))
        {
            return known;
        }
        var key = new CacheKey(modelId, direction, settings.BeamSize, settings.MaxDecodingLength, text);
        if (cache.TryGet(key, out var cached))
        {
            return _seen[text] = new PlannedSegment(key, cached, -1);
        }
        var encoded = Encode(text);
        if (!mustFit && encoded.Count > maxSegmentPieces)
        {
            return null;
        }
        Jobs.Add(new SegmentJob(key, NllbConventions.FrameSource(direction, encoded), NllbConventions.TargetPrefix(direction), settings));
        return _seen[text] = new PlannedSegment(key, null, Jobs.Count - 1);
    }

    private IReadOnlyList<string> Encode(string text)
    {
        if (!_encoded.TryGetValue(text, out var pieces))
        {
            pieces = _encoded[text] = tokenizer.Encode(TokenizerSafe(text));
        }
        return pieces;
    }

    /// <summary>
    /// U+0000 and unpaired surrogates cannot be encoded as UTF-8 for SentencePiece; they carry no
    /// meaning to translate, so they are read as a space and U+FFFD (what a UTF-8 encoder writes).
    /// </summary>
    private static string TokenizerSafe(string text)
    {
        char[]? chars = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }
            if (c == '\0' || char.IsSurrogate(c))
            {
                chars ??= text.ToCharArray();
                chars[i] = c == '\0' ? ' ' : '\uFFFD';
            }
        }
        return chars is null ? text : new string(chars);
    }

    private static long CountNonWhiteSpace(string text)
    {
        long count = 0;
        foreach (var c in text)
        {
            if (!char.IsWhiteSpace(c))
            {
                count++;
            }
        }
        return count;
    }

    private InputTooLongException TooLong(int textIndex, string tokens) =>
        new($"text {textIndex} has {tokens} tokens; at most {maxInputTokens} are accepted per text (MAX_INPUT_TOKENS)");
}
