using System.Diagnostics;
using System.Text.Json;
using Xunit.Abstractions;

namespace Traductor.Native.Tests;

/// <summary>NativeTranslator through the real engine, against CTranslate2 4.8.1's golden outputs.</summary>
public sealed class TranslatorTests(ITestOutputHelper output)
{
    // golden/README.md, "Stability": the one tiny-f32 case whose tokens change under CTranslate2's
    // own kernel perturbations, so an independent engine may legitimately differ on it.
    private static readonly HashSet<string> NonRobustTinyCases = ["max5_beam4_nbest2_scores_b2"];

    private static readonly TranslatorConfig Float32 = new() { ComputeType = "float32", InterThreads = 1, IntraThreads = 1 };

    [GoldenFact]
    public void Translate_batch_reproduces_the_golden_tiny_f32_cases()
    {
        using var translator = NativeTranslator.Load(GoldenCases.ModelDir("tiny-f32"), Float32);
        var checkedCases = 0;
        var failures = new List<string>();
        foreach (var test in GoldenCases.Translations("tiny-f32").Where(c => !NonRobustTinyCases.Contains(c.Id)))
        {
            var actual = translator.TranslateBatch(test.Source, test.TargetPrefix, test.Options);
            checkedCases++;
            var problem = Compare(test.Expected, actual);
            if (problem is not null)
            {
                failures.Add($"{test.Id}: {problem}");
            }
        }

        output.WriteLine($"tiny-f32: {checkedCases - failures.Count}/{checkedCases} translate_batch cases identical");
        Assert.True(failures.Count == 0, string.Join('\n', failures.Take(10)));
    }

    [GoldenFact]
    public void Score_batch_reproduces_the_golden_tiny_f32_scoring_cases()
    {
        using var translator = NativeTranslator.Load(GoldenCases.ModelDir("tiny-f32"), Float32);
        var count = 0;
        double sum = 0, max = 0;
        var tokens = 0;
        foreach (var test in GoldenCases.Scorings("tiny-f32"))
        {
            var actual = translator.ScoreBatch(test.Source, test.Target, test.Options);
            Assert.Equal(test.Expected.Length, actual.Count);
            for (var e = 0; e < actual.Count; e++)
            {
                Assert.Equal(test.Expected[e].Tokens, actual[e].Tokens);
                for (var t = 0; t < actual[e].LogProbs.Count; t++)
                {
                    var diff = Math.Abs(test.Expected[e].LogProbs[t] - actual[e].LogProbs[t]);
                    sum += diff;
                    max = Math.Max(max, diff);
                    tokens++;
                }
            }

            count++;
        }

        // golden/README.md "Scoring tolerances" for tiny-f32: mean |d| <= 5e-5, max |d| <= 4e-3.
        output.WriteLine($"tiny-f32: {count} score_batch cases, {tokens} tokens, mean |d| {sum / tokens:g}, max {max:g}");
        Assert.Equal(60, count);
        Assert.True(sum / tokens <= 5e-5, $"mean |d| {sum / tokens:g} above 5e-5");
        Assert.True(max <= 4e-3, $"max |d| {max:g} above 4e-3");
    }

    [GoldenFact]
    public void Describes_the_model_and_exposes_its_vocabulary()
    {
        using var translator = NativeTranslator.Load(GoldenCases.ModelDir("tiny-f32"), Float32);
        Assert.Equal(8005, translator.VocabularySize);
        Assert.Equal("<s>", translator.VocabularyToken(0));
        Assert.Equal("spa_Latn", translator.VocabularyToken(8001));
        Assert.Equal("dan_Latn", translator.VocabularyToken(8002));
        Assert.Throws<ArgumentOutOfRangeException>(() => translator.VocabularyToken(8005));
        using var describe = JsonDocument.Parse(translator.DescribeJson);
        Assert.Equal(8005, describe.RootElement.GetProperty("vocabulary_size").GetInt32());
        Assert.Equal(2, describe.RootElement.GetProperty("encoder_layers").GetInt32());
    }

    [GoldenFact]
    public void Loads_a_model_from_a_non_ascii_directory()
    {
        using var dir = new TemporaryDirectory("trd-modelo-ñandú-blåbær");
        var model = Path.Combine(dir.Path, "módèl_æøå");
        Directory.CreateDirectory(model);
        foreach (var file in Directory.GetFiles(GoldenCases.ModelDir("tiny-f32")))
        {
            File.Copy(file, Path.Combine(model, Path.GetFileName(file)));
        }

        using var translator = NativeTranslator.Load(model, Float32);
        var test = GoldenCases.Translations("tiny-f32").First(c => c.Id == "greedy_scores_b1");
        Assert.Null(Compare(test.Expected, translator.TranslateBatch(test.Source, test.TargetPrefix, test.Options)));
    }

    [Fact]
    public void Missing_model_directory_is_not_found()
    {
        using var dir = new TemporaryDirectory();
        var missing = Path.Combine(dir.Path, "no-such-model");
        var error = Assert.Throws<TraductorNativeException>(() => NativeTranslator.Load(missing));
        Assert.Equal(NativeStatusCode.NotFound, error.Code);
        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
    }

    [GoldenFact]
    public void Corrupt_model_bin_is_invalid_model()
    {
        using var dir = new TemporaryDirectory();
        foreach (var file in Directory.GetFiles(GoldenCases.ModelDir("tiny-f32")))
        {
            File.Copy(file, Path.Combine(dir.Path, Path.GetFileName(file)));
        }

        var modelBin = Path.Combine(dir.Path, "model.bin");
        var bytes = File.ReadAllBytes(modelBin);
        File.WriteAllBytes(modelBin, bytes[..(bytes.Length / 3)]);

        var error = Assert.Throws<TraductorNativeException>(() => NativeTranslator.Load(dir.Path, Float32));
        Assert.Equal(NativeStatusCode.InvalidModel, error.Code);
        Assert.Contains("model.bin", error.Message, StringComparison.Ordinal);
    }

    [GoldenFact]
    public void Bad_config_and_option_values_are_invalid_argument_naming_the_option()
    {
        var computeType = Assert.Throws<TraductorNativeException>(
            () => NativeTranslator.Load(GoldenCases.ModelDir("tiny-f32"), new TranslatorConfig { ComputeType = "float64" }));
        Assert.Equal(NativeStatusCode.InvalidArgument, computeType.Code);
        Assert.Contains("float64", computeType.Message, StringComparison.Ordinal);

        using var translator = NativeTranslator.Load(GoldenCases.ModelDir("tiny-f32"), Float32);
        IReadOnlyList<string>[] source = [["spa_Latn", "▁hola", "</s>"]];
        var beam = Assert.Throws<TraductorNativeException>(
            () => translator.TranslateBatch(source, null, new DecodingOptions { BeamSize = 0 }));
        Assert.Equal(NativeStatusCode.InvalidArgument, beam.Code);
        Assert.Contains("beam_size", beam.Message, StringComparison.Ordinal);
        var batchType = Assert.Throws<TraductorNativeException>(
            () => translator.TranslateBatch(source, null, new DecodingOptions { BatchType = "sentences" }));
        Assert.Equal(NativeStatusCode.InvalidArgument, batchType.Code);
        Assert.Throws<ArgumentException>(() => translator.TranslateBatch(source, [], DecodingOptions.Default));
    }

    [GoldenFact]
    public void Already_cancelled_token_throws_without_running()
    {
        using var translator = NativeTranslator.Load(GoldenCases.ModelDir("tiny-f32"), Float32);
        IReadOnlyList<string>[] source = [["spa_Latn", "▁hola", "</s>"]];
        Assert.Throws<OperationCanceledException>(
            () => translator.TranslateBatch(source, null, cancellationToken: new CancellationToken(canceled: true)));
    }

    [GoldenFact]
    public async Task Cancelling_a_running_translation_stops_it_with_operation_canceled()
    {
        using var translator = NativeTranslator.Load(GoldenCases.ModelDir("tiny-f32"), Float32);
        // 16 sources, beam 4, 256 forced steps: each step is short, the whole run is long, so a
        // cancellation mid-run must cut it short within about one step.
        var sources = GoldenCases.Translations("tiny-f32").SelectMany(c => c.Source).Where(s => s.Count > 10).Take(16).ToArray();
        var options = new DecodingOptions { BeamSize = 4, MaxDecodingLength = 256, MinDecodingLength = 256 };
        using var cancellation = new CancellationTokenSource();
        // A dedicated thread and a synchronous Cancel(): with other tests blocking pool threads, a
        // timer-driven cancellation could itself be delayed, and that is not what is measured here.
        var running = Task.Factory.StartNew(
            () => translator.TranslateBatch(sources, null, options, cancellation.Token),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await Task.Delay(200);
        Assert.False(running.IsCompleted, "the translation finished before it could be cancelled");
        var watch = Stopwatch.StartNew();
        cancellation.Cancel();

        var error = await Assert.ThrowsAsync<OperationCanceledException>(() => running);

        watch.Stop();
        Assert.Equal(cancellation.Token, error.CancellationToken);
        output.WriteLine($"stopped {watch.ElapsedMilliseconds} ms after Cancel()");
        // The engine checks the flag between decoding steps; one step of this batch is milliseconds.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"cancellation took {watch.Elapsed}");

        // The translator is still usable afterwards.
        var test = GoldenCases.Translations("tiny-f32").First(c => c.Id == "greedy_scores_b1");
        Assert.Null(Compare(test.Expected, translator.TranslateBatch(test.Source, test.TargetPrefix, test.Options)));
    }

    [GoldenFact]
    public async Task Concurrent_callers_get_the_results_they_get_alone()
    {
        using var translator = NativeTranslator.Load(
            GoldenCases.ModelDir("tiny-f32"), Float32 with { InterThreads = 2 });
        var cases = GoldenCases.Translations("tiny-f32").Where(c => c.Options.MaxDecodingLength <= 64).Take(12).ToArray();

        var runs = Enumerable.Range(0, 24).Select(i => Task.Run(() =>
        {
            var test = cases[i % cases.Length];
            return (test, Problem: Compare(test.Expected, translator.TranslateBatch(test.Source, test.TargetPrefix, test.Options)));
        }));

        foreach (var (test, problem) in await Task.WhenAll(runs))
        {
            Assert.True(problem is null, $"{test.Id}: {problem}");
        }
    }

    [GoldenFact]
    public void Disposed_translator_throws_object_disposed()
    {
        var translator = NativeTranslator.Load(GoldenCases.ModelDir("tiny-f32"), Float32);
        translator.Dispose();
        translator.Dispose();
        IReadOnlyList<string>[] source = [["spa_Latn", "▁hola", "</s>"]];
        Assert.Throws<ObjectDisposedException>(() => translator.TranslateBatch(source, null));
        Assert.Throws<ObjectDisposedException>(() => translator.VocabularyToken(0));
    }

    private static string? Compare(TranslationResult[] expected, IReadOnlyList<TranslationResult> actual)
    {
        if (expected.Length != actual.Count)
        {
            return $"{actual.Count} results, expected {expected.Length}";
        }

        for (var e = 0; e < expected.Length; e++)
        {
            var want = expected[e];
            var got = actual[e];
            if (want.Hypotheses.Count != got.Hypotheses.Count)
            {
                return $"example {e}: {got.Hypotheses.Count} hypotheses, expected {want.Hypotheses.Count}";
            }

            for (var h = 0; h < want.Hypotheses.Count; h++)
            {
                if (!want.Hypotheses[h].SequenceEqual(got.Hypotheses[h]))
                {
                    return $"example {e} hypothesis {h}: got [{string.Join(' ', got.Hypotheses[h])}], expected [{string.Join(' ', want.Hypotheses[h])}]";
                }
            }

            if (want.Scores.Count != got.Scores.Count)
            {
                return $"example {e}: {got.Scores.Count} scores, expected {want.Scores.Count}";
            }

            for (var h = 0; h < want.Scores.Count; h++)
            {
                // Batch composition alone moves CTranslate2's own float32 scores by up to ~2.3e-4.
                if (Math.Abs(want.Scores[h] - got.Scores[h]) > 1e-3)
                {
                    return $"example {e} score {h}: got {got.Scores[h]}, expected {want.Scores[h]}";
                }
            }
        }

        return null;
    }
}
