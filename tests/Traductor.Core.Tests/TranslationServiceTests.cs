using System.Collections.Concurrent;
using Traductor.Core.Scheduling;

namespace Traductor.Core.Tests;

/// <summary>The whole pipeline through the real native library on the golden tiny model.</summary>
public sealed class TranslationServiceTests
{
    private const string Spanish = "La Sra. García llegó ayer a Madrid. ¿Vienes mañana?\n\n  El precio subió un 3,5 %.  \n";

    [GoldenFact]
    public async Task Translates_with_nllb_framing_and_keeps_the_layout()
    {
        await using var service = TranslationService.Load(TinyModel.Options);
        var result = (await service.TranslateAsync([Spanish], Direction.EsDa, new TranslateOptions(), CancellationToken.None)).Single();
        var expected = new[]
        {
            TinyModel.Reference("La Sra. García llegó ayer a Madrid.", Direction.EsDa, 2, 24).Text,
            TinyModel.Reference("¿Vienes mañana?", Direction.EsDa, 2, 24).Text,
            TinyModel.Reference("El precio subió un 3,5 %.", Direction.EsDa, 2, 24).Text,
        };
        Assert.Equal($"{expected[0]} {expected[1]}\n\n  {expected[2]}  \n", result.Translation);
        Assert.Equal(3, result.Segments);
        Assert.Equal(0, result.CacheHits);
        Assert.True(result.InputTokens > 10);
        Assert.True(result.OutputTokens > 0);
        Assert.Equal(result.OutputTokens, service.TokensGenerated);
        Assert.False(service.Model.IsSmokeModel);
        Assert.Equal(["es-da", "da-es"], service.Model.Directions);
        Assert.Contains("\"vocabulary_size\"", service.Model.EngineJson);
    }

    [GoldenFact]
    public async Task Danish_to_Spanish_uses_the_danish_source_code()
    {
        await using var service = TranslationService.Load(TinyModel.Options);
        const string danish = "Klubben kunne den 1. januar fejre sit jubilæum.";
        var result = (await service.TranslateAsync([danish], Direction.DaEs, new TranslateOptions { BeamSize = 1 }, CancellationToken.None)).Single();
        Assert.Equal(TinyModel.Reference(danish, Direction.DaEs, 1, 24).Text, result.Translation);
        Assert.Equal(1, result.Segments);
    }

    [GoldenFact]
    public async Task A_repeated_request_is_answered_from_the_cache()
    {
        await using var service = TranslationService.Load(TinyModel.Options);
        var first = (await service.TranslateAsync([Spanish], Direction.EsDa, new TranslateOptions(), CancellationToken.None)).Single();
        var generated = service.TokensGenerated;
        var second = (await service.TranslateAsync([Spanish], Direction.EsDa, new TranslateOptions(), CancellationToken.None)).Single();
        Assert.Equal(first with { CacheHits = 3 }, second);
        Assert.Equal(generated, service.TokensGenerated);
        var stats = service.CacheStatistics;
        Assert.Equal((3L, 3L, 3L), (stats.Entries, stats.Hits, stats.Misses));
        // Other decoding options are other entries.
        var greedy = (await service.TranslateAsync([Spanish], Direction.EsDa, new TranslateOptions { BeamSize = 1 }, CancellationToken.None)).Single();
        Assert.Equal(0, greedy.CacheHits);
        var cleared = service.ClearCache();
        Assert.Equal(6, cleared.Entries);
        Assert.Equal(0, service.CacheStatistics.Entries);
    }

    [GoldenFact]
    public async Task Identical_segments_of_a_request_are_translated_once()
    {
        await using var service = TranslationService.Load(TinyModel.Options);
        var results = await service.TranslateAsync(["Hola. Hola.\nHola.", "Hola."], Direction.EsDa, new TranslateOptions(), CancellationToken.None);
        var one = results[1];
        Assert.Equal($"{one.Translation} {one.Translation}\n{one.Translation}", results[0].Translation);
        Assert.Equal(3, results[0].Segments);
        Assert.Equal(one.OutputTokens, service.TokensGenerated);
    }

    [GoldenFact]
    public async Task Hitting_the_output_budget_is_reported()
    {
        await using var service = TranslationService.Load(TinyModel.Options);
        const string sentence = "El ayuntamiento aprobó ayer el presupuesto para el próximo año con los votos de todos los grupos.";
        foreach (var budget in new[] { 2, 5, 24 })
        {
            var reference = TinyModel.Reference(sentence, Direction.EsDa, 2, budget);
            var result = (await service.TranslateAsync([sentence], Direction.EsDa, new TranslateOptions { MaxNewTokens = budget }, CancellationToken.None)).Single();
            Assert.Equal(reference.Text, result.Translation);
            Assert.Equal(reference.HitBudget, result.HitTokenBudget);
            Assert.True(result.OutputTokens <= budget);
            Assert.Equal(result.HitTokenBudget, result.OutputTokens == budget);
        }
        var tight = (await service.TranslateAsync([sentence], Direction.EsDa, new TranslateOptions { MaxNewTokens = 2 }, CancellationToken.None)).Single();
        Assert.True(tight.HitTokenBudget);
    }

    [GoldenFact]
    public async Task A_20000_character_text_is_translated_with_no_segment_cut_off()
    {
        var recorder = new RecordingEngine();
        var options = TinyModel.Options with { MaxSegmentTokens = 64, MaxInputTokens = 50_000, DefaultMaxNewTokens = 8, MaxBatchSize = 32 };
        await using var service = TranslationService.Load(options, recorder.Wrap);
        var text = LongText();
        Assert.True(text.Length >= 20_000);
        var result = (await service.TranslateAsync([text], Direction.EsDa, new TranslateOptions { BeamSize = 1 }, CancellationToken.None)).Single();

        var sources = recorder.Sources.ToList();
        Assert.Equal(result.Segments, sources.Count);
        Assert.All(sources, s => Assert.True(s.Count <= 64, $"a segment of {s.Count} tokens exceeds the limit of 64"));
        Assert.All(sources, s => Assert.Equal(("spa_Latn", "</s>"), (s[0], s[^1])));
        Assert.Equal(result.InputTokens, sources.Sum(s => s.Count - 2));
        // Every character of the input reached the engine: each segment the engine received decodes
        // to a piece of the text, and together they are exactly as long as the text. (Sentences are
        // unique, so nothing was merged by de-duplication.)
        using var tokenizer = Traductor.Native.NativeTokenizer.Load(TestEnvironment.UnigramTokenizer);
        var compact = WithoutWhiteSpace(text);
        var received = sources.Select(s => WithoutWhiteSpace(tokenizer.Decode([.. s.Skip(1).SkipLast(1)]))).ToList();
        Assert.All(received, r => Assert.Contains(r, compact, StringComparison.Ordinal));
        Assert.Equal(compact.Length, received.Sum(r => r.Length));
        // The layout (line breaks, blank lines, indentation) survived.
        Assert.Equal(text.Count(c => c == '\n'), result.Translation.Count(c => c == '\n'));
        Assert.StartsWith("  ", result.Translation);
    }

    [GoldenFact]
    public async Task Fifty_concurrent_callers_get_what_they_would_get_alone()
    {
        var options = TinyModel.Options with { CacheMaxEntries = 0, DefaultMaxNewTokens = 12, InterThreads = 2, MaxBatchSize = 8 };
        await using var service = TranslationService.Load(options);
        var texts = Enumerable.Range(0, 50).Select(CallerText).ToList();
        var alone = new List<string>();
        foreach (var text in texts)
        {
            alone.Add((await service.TranslateAsync([text], Direction.EsDa, new TranslateOptions(), CancellationToken.None)).Single().Translation);
        }
        using var start = new ManualResetEventSlim(false);
        var callers = texts.Select(text => Task.Run(async () =>
        {
            start.Wait();
            return (await service.TranslateAsync([text], Direction.EsDa, new TranslateOptions(), CancellationToken.None)).Single().Translation;
        })).ToList();
        start.Set();
        var together = await Task.WhenAll(callers);
        Assert.Equal(alone, together);
        Assert.Equal(0, service.QueueDepth);
    }

    [GoldenFact]
    public async Task Cancelling_some_callers_does_not_disturb_the_others()
    {
        var options = TinyModel.Options with { CacheMaxEntries = 0, DefaultMaxNewTokens = 48, MaxBatchSize = 4, BatchWindow = TimeSpan.FromMilliseconds(20) };
        await using var service = TranslationService.Load(options);
        var texts = Enumerable.Range(0, 12).Select(CallerText).ToList();
        var doomed = Enumerable.Range(0, texts.Count).Where(i => i % 3 == 0).ToHashSet();
        var alone = new Dictionary<int, string>();
        foreach (var i in Enumerable.Range(0, texts.Count).Where(i => !doomed.Contains(i)))
        {
            alone[i] = (await service.TranslateAsync([texts[i]], Direction.EsDa, new TranslateOptions(), CancellationToken.None)).Single().Translation;
        }
        var cancellations = texts.Select(_ => new CancellationTokenSource()).ToList();
        var callers = texts.Select((text, i) => service.TranslateAsync([text], Direction.EsDa, new TranslateOptions(), cancellations[i].Token)).ToList();
        await Task.Delay(30);
        foreach (var i in doomed)
        {
            await cancellations[i].CancelAsync();
        }
        foreach (var i in alone.Keys)
        {
            Assert.Equal(alone[i], (await callers[i]).Single().Translation);
        }
        foreach (var i in doomed)
        {
            // Cancelled, unless it had already finished when the cancellation came.
            Assert.True(callers[i].IsCanceled || callers[i].IsCompletedSuccessfully);
        }
        Assert.Contains(doomed, i => callers[i].IsCanceled);
        Assert.Equal(0, service.QueueDepth);
        cancellations.ForEach(c => c.Dispose());
    }

    [GoldenFact]
    public async Task Cancelling_the_only_caller_stops_the_native_work()
    {
        var recorder = new RecordingEngine();
        await using var service = TranslationService.Load(TinyModel.Options with { MaxMaxNewTokens = 1000 }, recorder.Wrap);
        using var cancel = new CancellationTokenSource();
        var options = new TranslateOptions { BeamSize = 4, MaxNewTokens = 1000 };
        var caller = service.TranslateAsync([LongSentence], Direction.EsDa, options, cancel.Token);
        await recorder.Started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await Task.Delay(50);
        var cancelledAt = System.Diagnostics.Stopwatch.StartNew();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => caller);
        var outcome = await recorder.Ended.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.IsAssignableFrom<OperationCanceledException>(outcome);
        Assert.True(cancelledAt.Elapsed < TimeSpan.FromSeconds(10), $"the engine took {cancelledAt.Elapsed} to stop");
        // The worker is free for the next request.
        var next = (await service.TranslateAsync(["Hola."], Direction.EsDa, new TranslateOptions { MaxNewTokens = 4 }, CancellationToken.None)).Single();
        Assert.Equal(1, next.Segments);
    }

    [GoldenFact]
    public async Task A_full_queue_refuses_the_request()
    {
        var recorder = new RecordingEngine();
        await using var service = TranslationService.Load(TinyModel.Options with { MaxQueuedSegments = 2, MaxMaxNewTokens = 1000 }, recorder.Wrap);
        using var stop = new CancellationTokenSource();
        // Occupies the only worker for a long while.
        var busy = service.TranslateAsync([LongSentence], Direction.EsDa, new TranslateOptions { BeamSize = 4, MaxNewTokens = 1000 }, stop.Token);
        await recorder.Started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        // Other decoding settings, so it cannot join the running batch: it waits in the queue.
        var waiting = service.TranslateAsync(["Uno. Dos."], Direction.EsDa, new TranslateOptions { BeamSize = 1 }, CancellationToken.None);
        Assert.Equal(2, service.QueueDepth);
        var error = await Assert.ThrowsAsync<QueueFullException>(() =>
            service.TranslateAsync(["Tres."], Direction.EsDa, new TranslateOptions(), CancellationToken.None));
        Assert.Equal("queue_full", error.Code);
        Assert.Contains("retry later", error.Message);
        var never = await Assert.ThrowsAsync<QueueFullException>(() =>
            service.TranslateAsync(["Cuatro. Cinco. Seis."], Direction.EsDa, new TranslateOptions(), CancellationToken.None));
        Assert.Contains("smaller requests", never.Message);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => busy);
        Assert.Equal(2, (await waiting).Single().Segments);
        Assert.Equal(0, service.QueueDepth);
    }

    [GoldenFact]
    public async Task Bad_requests_are_refused_with_their_codes_and_without_the_text()
    {
        await using var service = TranslationService.Load(TinyModel.Options with { MaxInputTokens = 12 });
        var none = new TranslateOptions();
        Assert.Equal("empty_text", (await Assert.ThrowsAsync<EmptyTextException>(() => service.TranslateAsync(["hola", " \n "], Direction.EsDa, none, CancellationToken.None))).Code);
        Assert.Equal("invalid_option", (await Assert.ThrowsAsync<InvalidOptionException>(() => service.TranslateAsync(["hola"], Direction.EsDa, new TranslateOptions { BeamSize = 0 }, CancellationToken.None))).Code);
        Assert.Equal("invalid_option", (await Assert.ThrowsAsync<InvalidOptionException>(() => service.TranslateAsync(["hola"], Direction.EsDa, new TranslateOptions { MaxNewTokens = 9000 }, CancellationToken.None))).Code);
        const string secret = "Secreto confidencial número uno. Secreto confidencial número dos. Secreto confidencial número tres.";
        var tooLong = await Assert.ThrowsAsync<InputTooLongException>(() => service.TranslateAsync([secret], Direction.EsDa, none, CancellationToken.None));
        Assert.Equal("input_too_long", tooLong.Code);
        Assert.Contains("MAX_INPUT_TOKENS", tooLong.Message);
        Assert.DoesNotContain("Secreto", tooLong.Message);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => service.TranslateAsync(["hola"], Direction.EsDa, none, new CancellationToken(true)));
        // NUL and a lone surrogate cannot reach SentencePiece; they are read as space and U+FFFD.
        var odd = (await service.TranslateAsync(["a\0b \ud800"], Direction.EsDa, none, CancellationToken.None)).Single();
        Assert.Equal(1, odd.Segments);
    }

    private static string CallerText(int i) =>
        $"El cliente número {i} pidió {i % 7 + 1} libros. ¿Llegarán antes del {i % 28 + 1} de marzo?" + (i % 4 == 0 ? " Gracias por todo." : "");

    private static string LongText()
    {
        var builder = new System.Text.StringBuilder("  ");
        // One sentence far longer than a segment: cut at clause boundaries.
        builder.Append(string.Join(", ", Enumerable.Range(0, 60).Select(i => $"la comisión {i} revisó los documentos del expediente")));
        builder.Append(".\n\n");
        // No punctuation at all: cut at word boundaries.
        builder.Append(string.Join(' ', Enumerable.Range(0, 300).Select(i => $"palabra{i}")));
        builder.Append("\n\n");
        // A single "word" longer than a segment: cut between characters.
        builder.Append(string.Concat(Enumerable.Range(0, 60).Select(i => $"abcdefg{i:000}"))).Append('\n');
        for (var p = 0; builder.Length < 20_500; p++)
        {
            builder.Append(p % 3 == 0 ? "\t" : "");
            for (var s = 0; s < 4; s++)
            {
                builder.Append($"La Sra. García presentó el informe {p}.{s} de la biblioteca, con un 3,5 % más de préstamos. ");
            }
            builder.Append(p % 2 == 0 ? "\n\n" : "\n");
        }
        return builder.ToString();
    }

    private const string LongSentence =
        "La comisión de presupuestos del ayuntamiento revisó ayer, durante más de seis horas, todos los documentos del expediente " +
        "y concluyó que las cuentas del año anterior, aunque correctas en lo esencial, necesitan una auditoría externa independiente.";

    private static string WithoutWhiteSpace(string s) => string.Concat(s.Where(c => !char.IsWhiteSpace(c)));

    /// <summary>Passes batches to the real engine and records what it was given.</summary>
    private sealed class RecordingEngine
    {
        private readonly ConcurrentQueue<IReadOnlyList<string>> _sources = new();

        public IEnumerable<IReadOnlyList<string>> Sources => _sources;

        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>How the first engine call ended: null for success, else its exception.</summary>
        public TaskCompletionSource<Exception?> Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ISegmentEngine Wrap(ISegmentEngine inner) => new Recorder(inner, this);

        private sealed class Recorder(ISegmentEngine inner, RecordingEngine owner) : ISegmentEngine
        {
            public IReadOnlyList<IReadOnlyList<string>> TranslateBatch(
                IReadOnlyList<IReadOnlyList<string>> sources,
                IReadOnlyList<IReadOnlyList<string>> targetPrefixes,
                DecodingSettings settings,
                CancellationToken cancellationToken)
            {
                foreach (var source in sources)
                {
                    owner._sources.Enqueue(source);
                }
                owner.Started.TrySetResult();
                try
                {
                    var result = inner.TranslateBatch(sources, targetPrefixes, settings, cancellationToken);
                    owner.Ended.TrySetResult(null);
                    return result;
                }
                catch (Exception e)
                {
                    owner.Ended.TrySetResult(e);
                    throw;
                }
            }
        }
    }
}
