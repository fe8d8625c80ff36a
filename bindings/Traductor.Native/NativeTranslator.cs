using System.Runtime.InteropServices;
using Traductor.Native.Interop;

namespace Traductor.Native;

/// <summary>
/// A CTranslate2 model directory loaded by the native engine: CTranslate2's translate_batch and
/// score_batch over token strings. Thread-safe: concurrent calls are queued onto the replicas
/// (<see cref="TranslatorConfig.InterThreads"/>), which share one copy of the weights.
/// </summary>
public sealed class NativeTranslator : IDisposable
{
    private readonly TranslatorHandle handle;

    private NativeTranslator(TranslatorHandle handle)
    {
        this.handle = handle;
        VocabularySize = checked((int)NativeMethods.trd_translator_vocabulary_size(handle));
        DescribeJson = Marshal.PtrToStringUTF8(NativeMethods.trd_translator_describe(handle)) ?? "{}";
    }

    /// <summary>Size of the target vocabulary.</summary>
    public int VocabularySize { get; }

    /// <summary>JSON describing the loaded model and engine (see <c>trd_translator_describe</c>).</summary>
    public string DescribeJson { get; }

    /// <summary>
    /// Loads a model directory. Throws <see cref="TraductorNativeException"/>: NotFound (no directory
    /// or model.bin), InvalidModel (the message names the file and variable), Unsupported,
    /// InvalidArgument (a bad <paramref name="config"/> value).
    /// </summary>
    public static NativeTranslator Load(string modelDirectory, TranslatorConfig? config = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelDirectory);
        NativeLibraryLoader.EnsureLoaded();
        using var configHandle = NativeOptions.Create(config ?? new TranslatorConfig());
        var status = NativeMethods.trd_translator_create(modelDirectory, configHandle, out var handle);
        try
        {
            NativeStatus.Check(status);
            return new NativeTranslator(handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>The token with id <paramref name="id"/>.</summary>
    public string VocabularyToken(int id)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(id, VocabularySize);
        // The string is borrowed from the model: keep the translator alive until it is copied.
        return handle.Borrow(
            (Handle: handle, Id: (nuint)id),
            static s => Marshal.PtrToStringUTF8(NativeMethods.trd_translator_vocabulary_token(s.Handle, s.Id))!);
    }

    /// <summary>
    /// CTranslate2's translate_batch. The sources are used as given (NLLB callers pass
    /// <c>[src_lang] pieces &lt;/s&gt;</c>); <paramref name="targetPrefixes"/> is null or one list per
    /// source (empty allowed). Blocks until every example is done, so run it on a worker thread.
    /// Cancelling <paramref name="cancellationToken"/> stops the call at the next decoding step with
    /// <see cref="OperationCanceledException"/>.
    /// </summary>
    public IReadOnlyList<TranslationResult> TranslateBatch(
        IReadOnlyList<IReadOnlyList<string>> sources,
        IReadOnlyList<IReadOnlyList<string>>? targetPrefixes,
        DecodingOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sources);
        if (targetPrefixes is not null && targetPrefixes.Count != sources.Count)
        {
            throw new ArgumentException(
                $"targetPrefixes has {targetPrefixes.Count} entries but there are {sources.Count} sources", nameof(targetPrefixes));
        }

        using var source = Utf8TokenBatch.Create(sources, nameof(sources));
        using var prefix = targetPrefixes is null ? null : Utf8TokenBatch.Create(targetPrefixes, nameof(targetPrefixes));
        using var nativeOptions = NativeOptions.Create(options ?? DecodingOptions.Default);
        using var cancel = NativeCancellation.Create(cancellationToken);
        ResultHandle result;
        unsafe
        {
            var status = NativeMethods.trd_translate_batch(
                handle, source.Tokens, source.Lengths, source.ExampleCount,
                prefix is null ? null : prefix.Tokens, prefix is null ? null : prefix.Lengths,
                nativeOptions, cancel.Handle, out result);
            using (result)
            {
                NativeStatus.Check(status, cancellationToken);
                return ReadTranslations(result);
            }
        }
    }

    /// <summary>
    /// CTranslate2's score_batch: the log-probability of every target token (plus the final
    /// &lt;/s&gt;) given the source. Only MaxInputLength, MaxBatchSize and BatchType of
    /// <paramref name="options"/> apply. Blocking and cancellable like <see cref="TranslateBatch"/>.
    /// </summary>
    public IReadOnlyList<ScoringResult> ScoreBatch(
        IReadOnlyList<IReadOnlyList<string>> sources,
        IReadOnlyList<IReadOnlyList<string>> targets,
        DecodingOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(targets);
        if (targets.Count != sources.Count)
        {
            throw new ArgumentException($"targets has {targets.Count} entries but there are {sources.Count} sources", nameof(targets));
        }

        using var source = Utf8TokenBatch.Create(sources, nameof(sources));
        using var target = Utf8TokenBatch.Create(targets, nameof(targets));
        using var nativeOptions = NativeOptions.Create(options ?? DecodingOptions.Default);
        using var cancel = NativeCancellation.Create(cancellationToken);
        ScoreResultHandle result;
        unsafe
        {
            var status = NativeMethods.trd_score_batch(
                handle, source.Tokens, source.Lengths, target.Tokens, target.Lengths, source.ExampleCount,
                nativeOptions, cancel.Handle, out result);
            using (result)
            {
                NativeStatus.Check(status, cancellationToken);
                return ReadScores(result);
            }
        }
    }

    /// <summary>Frees the model once running calls have returned.</summary>
    public void Dispose() => handle.Dispose();

    private static TranslationResult[] ReadTranslations(ResultHandle result)
    {
        var examples = new TranslationResult[checked((int)NativeMethods.trd_result_num_examples(result))];
        var hasScores = NativeMethods.trd_result_has_scores(result) != 0;
        for (nuint e = 0; e < (nuint)examples.Length; e++)
        {
            var hypotheses = new IReadOnlyList<string>[checked((int)NativeMethods.trd_result_num_hypotheses(result, e))];
            var scores = hasScores ? new float[hypotheses.Length] : [];
            for (nuint h = 0; h < (nuint)hypotheses.Length; h++)
            {
                var tokens = new string[checked((int)NativeMethods.trd_result_hypothesis_length(result, e, h))];
                for (nuint t = 0; t < (nuint)tokens.Length; t++)
                {
                    tokens[t] = Marshal.PtrToStringUTF8(NativeMethods.trd_result_token(result, e, h, t))!;
                }

                hypotheses[h] = tokens;
                if (hasScores)
                {
                    scores[h] = NativeMethods.trd_result_score(result, e, h);
                }
            }

            examples[e] = new TranslationResult(hypotheses, scores);
        }

        return examples;
    }

    private static ScoringResult[] ReadScores(ScoreResultHandle result)
    {
        var examples = new ScoringResult[checked((int)NativeMethods.trd_score_result_num_examples(result))];
        for (nuint e = 0; e < (nuint)examples.Length; e++)
        {
            var length = checked((int)NativeMethods.trd_score_result_length(result, e));
            var tokens = new string[length];
            var logProbs = new float[length];
            for (nuint t = 0; t < (nuint)length; t++)
            {
                tokens[t] = Marshal.PtrToStringUTF8(NativeMethods.trd_score_result_token(result, e, t))!;
                logProbs[t] = NativeMethods.trd_score_result_log_prob(result, e, t);
            }

            examples[e] = new ScoringResult(tokens, logProbs);
        }

        return examples;
    }
}
