using BenchmarkDotNet.Attributes;
using Traductor.Core;
using Traductor.Core.Caching;
using Traductor.Core.Segmentation;
using Traductor.Native;

namespace Traductor.Bench;

internal static class SampleText
{
    // A Spanish paragraph with abbreviations, numbers, quotes and line breaks: what the segmenter
    // and tokenizer see in practice.
    public const string Spanish =
        "El Sr. García llegó a Madrid el 3 de mayo. Traía 2.500 euros y una carta \"muy importante\" para la Dra. López.\n" +
        "¿Dónde está la estación de tren? Nadie lo sabía; preguntó en la oficina de turismo, pero estaba cerrada.\n\n" +
        "Al final encontró un taxi. El conductor, que hablaba danés, le explicó el camino con paciencia. " +
        "¡Qué día tan largo! Mañana volverá a intentarlo con más calma, etc. y sin prisa.";
}

/// <summary>
/// The per-request work around the engine: segmentation, cache lookups and inserts, SentencePiece
/// encode (input) and decode (output), reassembly. No engine call, so this is the overhead a
/// request pays on top of translation.
/// </summary>
[MemoryDiagnoser]
public class PipelineOverheadBenchmarks
{
    private NativeTokenizer? _tokenizer;
    private TranslationCache? _cache;

    [GlobalSetup]
    public void Setup()
    {
        _tokenizer = NativeTokenizer.Load(Path.Combine(BenchSettings.ModelDirectory, "sentencepiece.bpe.model"));
        _cache = new TranslationCache(10_000, 64L << 20);
    }

    [Benchmark]
    public string SegmentTokenizeCacheMiss()
    {
        // A fresh cache each time: every sentence is a miss, then inserted (the cold path).
        var cache = new TranslationCache(10_000, 64L << 20);
        return Process(cache);
    }

    [Benchmark]
    public string SegmentCacheHit()
    {
        Process(_cache!);  // first call fills, the rest hit
        return Process(_cache!);
    }

    private string Process(TranslationCache cache)
    {
        var layout = Segmenter.Split(SampleText.Spanish);
        var outputs = new List<string>();
        foreach (string sentence in layout.Sentences)
        {
            var key = new CacheKey("bench", Direction.EsDa, 4, 1024, sentence);
            if (cache.TryGet(key, out var hit))
            {
                outputs.Add(hit.Translation);
                continue;
            }
            var pieces = _tokenizer!.Encode(sentence);
            // Stands in for the engine: the output pieces are the input pieces.
            string translation = _tokenizer.Decode(pieces);
            cache.Set(key, new CachedSegment(translation, pieces.Count + 2, pieces.Count, false));
            outputs.Add(translation);
        }
        return layout.Reassemble(outputs);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        BenchSettings.RecordRss("Pipeline");
        _tokenizer?.Dispose();
    }
}

/// <summary>
/// Latency of a request whose every sentence is cached, through the whole TranslationService
/// (validation, planning, cache, reassembly), with the model loaded but not called.
/// </summary>
[MemoryDiagnoser]
public class CacheHitBenchmarks
{
    private TranslationService? _service;
    private readonly TranslateOptions _options = new() { BeamSize = 1, MaxNewTokens = 8 };

    [GlobalSetup]
    public void Setup()
    {
        _service = TranslationService.Load(new TranslationServiceOptions { ModelPath = BenchSettings.ModelDirectory, IntraThreads = 2 });
        _service.TranslateAsync([SampleText.Spanish], Direction.EsDa, _options, CancellationToken.None).GetAwaiter().GetResult();
    }

    [Benchmark]
    public async Task<int> TranslateAllCached()
    {
        var result = await _service!.TranslateAsync([SampleText.Spanish], Direction.EsDa, _options, CancellationToken.None);
        if (result[0].CacheHits != result[0].Segments)
            throw new InvalidOperationException($"{result[0].CacheHits} of {result[0].Segments} segments hit the cache");
        return result[0].OutputTokens;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        BenchSettings.RecordRss("CacheHit");
        _service?.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
