using System.Diagnostics;
using Traductor.Core.Scheduling;
using Xunit.Abstractions;

namespace Traductor.Core.Tests;

/// <summary>
/// Measures what the pipeline costs on top of the engine, printed to the test output
/// (<c>dotnet test --logger "console;verbosity=normal"</c>). The engine is replaced by one that
/// answers instantly, so what remains is segmentation, tokenization, cache, batching, detokenizing
/// and reassembly. The bounds asserted are loose (shared CI machines); the printed figures are the result.
/// </summary>
public sealed class PipelineMeasurements(ITestOutputHelper output)
{
    [GoldenFact]
    public async Task Pipeline_overhead_per_segment_and_cache_hit_latency()
    {
        var engine = new InstantEngine();
        var options = TinyModel.Options with { BatchWindow = TimeSpan.Zero, MaxBatchSize = 64, MaxQueuedSegments = 100_000, CacheMaxEntries = 100_000, MaxInputTokens = 1_000_000 };
        await using var service = TranslationService.Load(options, _ => engine);
        var sentences = Enumerable.Range(0, 2000)
            .Select(i => $"La Sra. García presentó el informe número {i} de la biblioteca, con un {i % 10},5 % más de préstamos.")
            .ToList();

        // Warm-up (JIT tiers, tokenizer pages) on other sentences, twice so the cache-hit path warms too.
        var warmUp = string.Join(' ', Enumerable.Range(0, 500).Select(i => $"Texto de calentamiento {i}, sin más."));
        for (var i = 0; i < 2; i++)
        {
            await service.TranslateAsync([warmUp], Direction.EsDa, new TranslateOptions(), CancellationToken.None);
        }
        service.ClearCache();

        // Throughput path: one request of 2000 distinct sentences, every one a cache miss. CPU time
        // (all threads) is reported beside wall time: on a shared, oversubscribed machine the wall
        // clock mostly measures waiting for a core.
        var clock = Stopwatch.StartNew();
        var cpu = CpuMicroseconds();
        var miss = (await service.TranslateAsync([string.Join(' ', sentences)], Direction.EsDa, new TranslateOptions(), CancellationToken.None)).Single();
        var missPerSegment = clock.Elapsed.TotalMicroseconds / miss.Segments;
        var missCpuPerSegment = (CpuMicroseconds() - cpu) / miss.Segments;
        Assert.Equal(2000, miss.Segments);

        // Latency path: single-sentence requests, cache misses (fresh texts), engine instant.
        var single = new List<double>();
        for (var i = 0; i < 300; i++)
        {
            clock.Restart();
            await service.TranslateAsync([$"Frase nueva número {i} para medir la latencia."], Direction.EsDa, new TranslateOptions(), CancellationToken.None);
            single.Add(clock.Elapsed.TotalMicroseconds);
        }

        // Cache-hit path: the same sentence again and again.
        var hits = new List<double>();
        for (var i = 0; i < 2000; i++)
        {
            clock.Restart();
            var hit = (await service.TranslateAsync([sentences[i % 100]], Direction.EsDa, new TranslateOptions(), CancellationToken.None)).Single();
            hits.Add(clock.Elapsed.TotalMicroseconds);
            Assert.Equal(1, hit.CacheHits);
        }

        // Cache-hit path for a whole text: 2000 sentences, all cached.
        clock.Restart();
        cpu = CpuMicroseconds();
        var all = (await service.TranslateAsync([string.Join(' ', sentences)], Direction.EsDa, new TranslateOptions(), CancellationToken.None)).Single();
        var hitPerSegment = clock.Elapsed.TotalMicroseconds / all.Segments;
        var hitCpuPerSegment = (CpuMicroseconds() - cpu) / all.Segments;
        Assert.Equal(2000, all.CacheHits);

        output.WriteLine($"machine load average: {File.ReadAllText("/proc/loadavg").Split(' ')[0]} on {Environment.ProcessorCount} cores");
        output.WriteLine($"pipeline overhead, cache miss, 2000-sentence request: {missPerSegment:F1} µs wall, {missCpuPerSegment:F1} µs CPU per segment (engine excluded)");
        output.WriteLine($"single-sentence request, cache miss, engine instant: p50 {Percentile(single, 50):F0} µs, p99 {Percentile(single, 99):F0} µs");
        output.WriteLine($"single-sentence request, cache hit: p50 {Percentile(hits, 50):F1} µs, p99 {Percentile(hits, 99):F1} µs");
        output.WriteLine($"2000-sentence request, all cache hits: {hitPerSegment:F2} µs wall, {hitCpuPerSegment:F2} µs CPU per segment");
        output.WriteLine($"engine calls: {engine.Calls}, largest batch: {engine.LargestBatch}");
        Assert.True(Percentile(hits, 50) < 5_000, "a cache hit should take well under 5 ms");
        Assert.True(missPerSegment < 5_000, "pipeline overhead should be well under 5 ms per segment");
    }

    private static double CpuMicroseconds() => Process.GetCurrentProcess().TotalProcessorTime.TotalMicroseconds;

    private static double Percentile(List<double> values, int percentile)
    {
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, sorted.Count * percentile / 100)];
    }

    /// <summary>Answers every segment at once with a fixed 5-token hypothesis ending in &lt;/s&gt;.</summary>
    private sealed class InstantEngine : ISegmentEngine
    {
        public int Calls { get; private set; }

        public int LargestBatch { get; private set; }

        public IReadOnlyList<IReadOnlyList<string>> TranslateBatch(
            IReadOnlyList<IReadOnlyList<string>> sources,
            IReadOnlyList<IReadOnlyList<string>> targetPrefixes,
            DecodingSettings settings,
            CancellationToken cancellationToken)
        {
            Calls++;
            LargestBatch = Math.Max(LargestBatch, sources.Count);
            return [.. targetPrefixes.Select(p => (IReadOnlyList<string>)[.. p, "▁Hej", "▁med", "▁dig", ".", "</s>"])];
        }
    }
}
