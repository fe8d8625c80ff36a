using Traductor.Core.Caching;
using Traductor.Core.Nllb;
using Traductor.Core.Pipeline;
using Traductor.Core.Scheduling;

namespace Traductor.Core;

/// <summary>
/// Spanish⇄Danish translation over one loaded NLLB model: segmentation, cache, batching across
/// concurrent requests, the native engine, and reassembly with the input's exact layout.
/// Thread-safe; one instance serves the whole process.
/// </summary>
public sealed class TranslationService : IAsyncDisposable
{
    /// <summary>Largest beam accepted: wider beams cost linearly more and stop helping NLLB long before.</summary>
    public const int MaxBeamSize = 16;

    /// <summary>Smallest useful segment limit: a handful of pieces plus the framing.</summary>
    private const int MinSegmentTokens = 16;

    private readonly TranslationServiceOptions _options;
    private readonly LoadedModel _model;
    private readonly TranslationCache _cache;
    private readonly SegmentBatcher<CachedSegment> _batcher;
    private readonly TranslationOutput _output;
    private readonly string _modelId;
    private readonly int _maxSegmentPieces;
    private long _tokensGenerated;

    private TranslationService(TranslationServiceOptions options, LoadedModel model, Func<ISegmentEngine, ISegmentEngine>? decorateEngine)
    {
        _options = options;
        _model = model;
        _modelId = $"{model.Path}|{options.ComputeType}";
        _cache = new TranslationCache(options.CacheMaxEntries, options.CacheMaxBytes);
        _output = new TranslationOutput(model.SpecialTokens);
        // Encoder positions bound the framed source; 2 rows of margin as NLLB's own 1022-token limit.
        var segmentTokens = Math.Min(options.MaxSegmentTokens, model.PositionRows - 2);
        _maxSegmentPieces = segmentTokens - NllbConventions.FramingTokens;
        _batcher = new SegmentBatcher<CachedSegment>(
            decorateEngine is null ? new NativeSegmentEngine(model.Translator) : decorateEngine(new NativeSegmentEngine(model.Translator)),
            Finish,
            options.InterThreads,
            options.MaxBatchSize,
            options.MaxQueuedSegments,
            options.BatchWindow);
        Model = new ModelDescription(model.Path, model.Translator.DescribeJson, model.IsSmokeModel, Directions.All);
    }

    /// <summary>The loaded model.</summary>
    public ModelDescription Model { get; }

    /// <summary>Segments waiting for the engine.</summary>
    public int QueueDepth => _batcher.QueueDepth;

    /// <summary>Tokens the engine generated since start-up (cache hits excluded).</summary>
    public long TokensGenerated => Interlocked.Read(ref _tokensGenerated);

    /// <summary>Current cache statistics.</summary>
    public CacheStatistics CacheStatistics => _cache.Statistics;

    /// <summary>
    /// Loads tokenizer and model and checks that they fit together. Slow (reads the weights).
    /// Throws <see cref="ModelLoadException"/> saying what is wrong (path, format, mismatch), or
    /// <see cref="ArgumentException"/> for options out of range.
    /// </summary>
    public static TranslationService Load(TranslationServiceOptions options) => Load(options, null);

    /// <summary>Tests observe what reaches the engine through <paramref name="decorateEngine"/>.</summary>
    internal static TranslationService Load(TranslationServiceOptions options, Func<ISegmentEngine, ISegmentEngine>? decorateEngine)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        var model = LoadedModel.Load(options);
        try
        {
            return new TranslationService(options, model, decorateEngine);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Translates each text; the result list matches <paramref name="texts"/> in order. Throws
    /// <see cref="EmptyTextException"/>, <see cref="InvalidOptionException"/>,
    /// <see cref="InputTooLongException"/>, <see cref="QueueFullException"/>, or
    /// <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> fires
    /// (the engine then stops working on this request).
    /// </summary>
    public async Task<IReadOnlyList<TextTranslation>> TranslateAsync(
        IReadOnlyList<string> texts,
        Direction direction,
        TranslateOptions options,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(options);
        cancellationToken.ThrowIfCancellationRequested();
        var settings = Resolve(options);
        for (var i = 0; i < texts.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(texts[i]))
            {
                throw new EmptyTextException(texts.Count == 1 ? "the text is empty" : $"text {i} is empty");
            }
        }
        var planner = new RequestPlanner(
            _model.Tokenizer,
            _cache,
            _modelId,
            _maxSegmentPieces,
            _options.MaxInputTokens,
            (long)_options.MaxInputTokens * _model.LongestPieceChars * 2);
        var plans = new TextPlan[texts.Count];
        for (var i = 0; i < texts.Count; i++)
        {
            plans[i] = planner.Plan(texts[i], i, direction, settings);
        }
        var translated = await _batcher.SubmitAsync(planner.Jobs, cancellationToken).ConfigureAwait(false);
        return [.. plans.Select(plan => Assemble(plan, translated))];
    }

    /// <summary>Empties the cache; returns the statistics of what was cleared.</summary>
    public CacheStatistics ClearCache() => _cache.Clear();

    /// <summary>Lets queued and running work finish, then frees the model.</summary>
    public async ValueTask DisposeAsync()
    {
        await _batcher.DisposeAsync().ConfigureAwait(false);
        _model.Dispose();
    }

    private DecodingSettings Resolve(TranslateOptions options)
    {
        var beam = options.BeamSize ?? _options.BeamSize;
        if (beam is < 1 or > MaxBeamSize)
        {
            throw new InvalidOptionException($"beam_size must be from 1 to {MaxBeamSize}, not {beam}");
        }
        var maxNewTokens = options.MaxNewTokens ?? _options.DefaultMaxNewTokens;
        if (maxNewTokens < 1 || maxNewTokens > _options.MaxMaxNewTokens)
        {
            throw new InvalidOptionException($"max_new_tokens must be from 1 to {_options.MaxMaxNewTokens} (MAX_MAX_NEW_TOKENS), not {maxNewTokens}");
        }
        // CTranslate2 counts the forced [tgt_lang] prefix in max_decoding_length; the decoder's
        // position table caps it (reaching that cap is reported like any budget hit).
        return new DecodingSettings(beam, Math.Min(maxNewTokens + 1, _model.PositionRows));
    }

    /// <summary>Runs on a batch worker once per translated segment: clean, detokenize, cache.</summary>
    private CachedSegment Finish(SegmentJob job, IReadOnlyList<string> hypothesis)
    {
        var key = (CacheKey)job.Key;
        var (pieces, hitBudget) = _output.Clean(hypothesis, key.Direction);
        var generated = hypothesis.Count - job.TargetPrefix.Count - (hitBudget ? 0 : 1);
        var segment = new CachedSegment(
            AsSegmentText(_model.Tokenizer.Decode(pieces)),
            job.Source.Count - NllbConventions.FramingTokens,
            Math.Max(0, generated),
            hitBudget);
        _cache.Set(key, segment);
        Interlocked.Add(ref _tokensGenerated, segment.OutputTokens);
        return segment;
    }

    /// <summary>
    /// The separators own every line break and the whitespace around sentences; a translation that
    /// brought its own (a trailing "▁", byte-fallback pieces for "\n") would change the layout.
    /// </summary>
    private static string AsSegmentText(string decoded)
    {
        var text = decoded.Trim();
        if (text.AsSpan().IndexOfAny(Segmentation.Segmenter.LineBreaks) < 0)
        {
            return text;
        }
        var chars = text.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (Segmentation.Segmenter.IsLineBreak(chars[i]))
            {
                chars[i] = ' ';
            }
        }
        return new string(chars);
    }

    private static TextTranslation Assemble(TextPlan plan, CachedSegment[] translated)
    {
        var texts = new string[plan.Segments.Count];
        int input = 0, output = 0, hits = 0;
        var hitBudget = false;
        for (var i = 0; i < texts.Length; i++)
        {
            var planned = plan.Segments[i];
            var segment = planned.Cached ?? translated[planned.JobIndex];
            hits += planned.Cached is null ? 0 : 1;
            texts[i] = segment.Translation;
            input += segment.InputTokens;
            output += segment.OutputTokens;
            hitBudget |= segment.HitTokenBudget;
        }
        return new TextTranslation(plan.Layout.Reassemble(texts), input, output, texts.Length, hits, hitBudget);
    }

    private static void Validate(TranslationServiceOptions o)
    {
        Require(!string.IsNullOrWhiteSpace(o.ModelPath), nameof(o.ModelPath), "must name a model directory");
        Require(o.InterThreads >= 1, nameof(o.InterThreads), $"must be at least 1, not {o.InterThreads}");
        Require(o.IntraThreads >= 0, nameof(o.IntraThreads), $"must be 0 (engine default) or more, not {o.IntraThreads}");
        Require(o.MaxBatchSize >= 1, nameof(o.MaxBatchSize), $"must be at least 1, not {o.MaxBatchSize}");
        Require(o.MaxQueuedSegments >= 1, nameof(o.MaxQueuedSegments), $"must be at least 1, not {o.MaxQueuedSegments}");
        Require(o.BatchWindow >= TimeSpan.Zero, nameof(o.BatchWindow), $"must not be negative, not {o.BatchWindow}");
        Require(o.BeamSize is >= 1 and <= MaxBeamSize, nameof(o.BeamSize), $"must be from 1 to {MaxBeamSize}, not {o.BeamSize}");
        Require(o.DefaultMaxNewTokens >= 1, nameof(o.DefaultMaxNewTokens), $"must be at least 1, not {o.DefaultMaxNewTokens}");
        Require(o.MaxMaxNewTokens >= o.DefaultMaxNewTokens, nameof(o.MaxMaxNewTokens), $"must be at least DefaultMaxNewTokens ({o.DefaultMaxNewTokens}), not {o.MaxMaxNewTokens}");
        Require(o.MaxInputTokens >= 1, nameof(o.MaxInputTokens), $"must be at least 1, not {o.MaxInputTokens}");
        Require(o.MaxSegmentTokens >= MinSegmentTokens, nameof(o.MaxSegmentTokens), $"must be at least {MinSegmentTokens}, not {o.MaxSegmentTokens}");
        Require(o.CacheMaxEntries >= 0, nameof(o.CacheMaxEntries), $"must be 0 (no cache) or more, not {o.CacheMaxEntries}");
        Require(o.CacheMaxBytes >= 0, nameof(o.CacheMaxBytes), $"must be 0 (no cache) or more, not {o.CacheMaxBytes}");
    }

    private static void Require(bool condition, string option, string message)
    {
        if (!condition)
        {
            throw new ArgumentException($"TranslationServiceOptions.{option} {message}", option);
        }
    }
}
