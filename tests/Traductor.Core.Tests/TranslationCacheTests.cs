using Traductor.Core.Caching;

namespace Traductor.Core.Tests;

public class TranslationCacheTests
{
    private static CacheKey Key(string text, Direction direction = Direction.EsDa, int beam = 4, int maxLength = 1025) =>
        new("model-a", direction, beam, maxLength, text);

    private static CachedSegment Value(string text) => new(text, 3, 4, false);

    [Fact]
    public void Hits_misses_and_entries_are_counted()
    {
        var cache = new TranslationCache(10, 1 << 20);
        Assert.False(cache.TryGet(Key("hola"), out _));
        cache.Set(Key("hola"), Value("hej"));
        Assert.True(cache.TryGet(Key("hola"), out var hit));
        Assert.Equal("hej", hit.Translation);
        var stats = cache.Statistics;
        Assert.Equal((1, 1, 1, 0), (stats.Entries, stats.Hits, stats.Misses, stats.Evictions));
        Assert.Equal(0.5, stats.HitRate);
        Assert.Equal(TranslationCache.SizeOf(Key("hola"), Value("hej")), stats.Bytes);
    }

    [Fact]
    public void Key_includes_direction_and_decoding_options()
    {
        var cache = new TranslationCache(10, 1 << 20);
        cache.Set(Key("hola"), Value("hej"));
        Assert.False(cache.TryGet(Key("hola", Direction.DaEs), out _));
        Assert.False(cache.TryGet(Key("hola", beam: 1), out _));
        Assert.False(cache.TryGet(Key("hola", maxLength: 11), out _));
        Assert.False(cache.TryGet(Key("hola") with { ModelId = "model-b" }, out _));
        Assert.True(cache.TryGet(Key("hola"), out _));
    }

    [Fact]
    public void Least_recently_used_entry_is_evicted_at_the_entry_bound()
    {
        var cache = new TranslationCache(2, 1 << 20);
        cache.Set(Key("a"), Value("A"));
        cache.Set(Key("b"), Value("B"));
        Assert.True(cache.TryGet(Key("a"), out _));
        cache.Set(Key("c"), Value("C"));
        Assert.True(cache.TryGet(Key("a"), out _));
        Assert.False(cache.TryGet(Key("b"), out _));
        Assert.True(cache.TryGet(Key("c"), out _));
        Assert.Equal(1, cache.Statistics.Evictions);
    }

    [Fact]
    public void Byte_bound_evicts_and_oversized_entries_are_not_stored()
    {
        var one = TranslationCache.SizeOf(Key("aaaa"), Value("bbbb"));
        var cache = new TranslationCache(100, one * 2);
        cache.Set(Key("aaaa"), Value("bbbb"));
        cache.Set(Key("cccc"), Value("dddd"));
        cache.Set(Key("eeee"), Value("ffff"));
        Assert.Equal(2, cache.Statistics.Entries);
        Assert.True(cache.Statistics.Bytes <= one * 2);
        cache.Set(Key("huge"), Value(new string('x', 10_000)));
        Assert.False(cache.TryGet(Key("huge"), out _));
        Assert.Equal(2, cache.Statistics.Entries);
    }

    [Fact]
    public void Replacing_an_entry_keeps_the_byte_count_exact()
    {
        var cache = new TranslationCache(10, 1 << 20);
        cache.Set(Key("a"), Value("short"));
        cache.Set(Key("a"), Value("a much longer translation"));
        Assert.Equal(1, cache.Statistics.Entries);
        Assert.Equal(TranslationCache.SizeOf(Key("a"), Value("a much longer translation")), cache.Statistics.Bytes);
    }

    [Fact]
    public void Clear_returns_what_was_cleared_and_keeps_counters()
    {
        var cache = new TranslationCache(10, 1 << 20);
        cache.Set(Key("a"), Value("A"));
        cache.Set(Key("b"), Value("B"));
        cache.TryGet(Key("a"), out _);
        var cleared = cache.Clear();
        Assert.Equal(2, cleared.Entries);
        Assert.True(cleared.Bytes > 0);
        var after = cache.Statistics;
        Assert.Equal((0L, 0L, 1L), (after.Entries, after.Bytes, after.Hits));
        Assert.False(cache.TryGet(Key("a"), out _));
    }

    [Fact]
    public void Zero_entries_disables_caching()
    {
        var cache = new TranslationCache(0, 1 << 20);
        cache.Set(Key("a"), Value("A"));
        Assert.False(cache.TryGet(Key("a"), out _));
        Assert.Equal(0, cache.Statistics.Entries);
    }

    [Fact]
    public async Task Bounds_hold_under_concurrency_and_statistics_add_up()
    {
        const int maxEntries = 200;
        var maxBytes = TranslationCache.SizeOf(Key("text-000"), Value("translation-000")) * 150;
        var cache = new TranslationCache(maxEntries, maxBytes);
        long lookups = 0;
        var violations = 0;
        using var stop = new CancellationTokenSource();
        var watcher = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                var s = cache.Statistics;
                if (s.Entries > maxEntries || s.Bytes > maxBytes)
                {
                    Interlocked.Increment(ref violations);
                }
            }
        });
        var writers = Enumerable.Range(0, 8).Select(w => Task.Run(() =>
        {
            var random = new Random(w);
            for (var i = 0; i < 20_000; i++)
            {
                var n = random.Next(600);
                var key = Key($"text-{n:000}");
                Interlocked.Increment(ref lookups);
                if (!cache.TryGet(key, out _))
                {
                    cache.Set(key, Value(new string('t', random.Next(5, 40))));
                }
                if (i % 5_000 == 4_999 && w == 0)
                {
                    cache.Clear();
                }
            }
        })).ToArray();
        await Task.WhenAll(writers);
        await stop.CancelAsync();
        await watcher;
        var stats = cache.Statistics;
        Assert.Equal(0, violations);
        Assert.True(stats.Entries <= maxEntries && stats.Bytes <= maxBytes);
        Assert.Equal(lookups, stats.Hits + stats.Misses);
        Assert.True(stats.Evictions > 0);
        Assert.True(stats.Hits > 0);
    }
}
