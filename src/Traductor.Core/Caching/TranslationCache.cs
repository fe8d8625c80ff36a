namespace Traductor.Core.Caching;

/// <summary>
/// Least-recently-used cache of segment translations, bounded both in entries and in (estimated)
/// bytes so memory cannot grow without limit. Thread-safe: one lock guards the map and the recency
/// list; every operation under it is O(1), so contention costs far less than a translation.
/// </summary>
public sealed class TranslationCache
{
    /// <summary>Fixed per-entry overhead: dictionary slot, list node, record headers.</summary>
    private const long EntryOverheadBytes = 160;

    private readonly Lock _lock = new();
    private readonly Dictionary<CacheKey, LinkedListNode<Entry>> _map = [];
    private readonly LinkedList<Entry> _recency = new();
    private long _bytes;
    private long _hits;
    private long _misses;
    private long _evictions;

    /// <summary>Creates a cache; 0 for either bound disables caching.</summary>
    public TranslationCache(long maxEntries, long maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxEntries);
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        MaxEntries = maxEntries;
        MaxBytes = maxBytes;
    }

    /// <summary>Most entries held.</summary>
    public long MaxEntries { get; }

    /// <summary>Most estimated bytes held.</summary>
    public long MaxBytes { get; }

    /// <summary>Looks a segment up, counting a hit or a miss, and marks it most recently used.</summary>
    public bool TryGet(CacheKey key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out CachedSegment? value)
    {
        lock (_lock)
        {
            if (_map.TryGetValue(key, out var node))
            {
                _recency.Remove(node);
                _recency.AddFirst(node);
                _hits++;
                value = node.Value.Value;
                return true;
            }
            _misses++;
            value = null;
            return false;
        }
    }

    /// <summary>Stores a segment, evicting least recently used entries until both bounds hold. An entry larger than the whole byte budget is not stored.</summary>
    public void Set(CacheKey key, CachedSegment value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var size = SizeOf(key, value);
        lock (_lock)
        {
            if (_map.TryGetValue(key, out var existing))
            {
                RemoveNode(existing);
            }
            if (size > MaxBytes || MaxEntries == 0)
            {
                return;
            }
            while (_map.Count >= MaxEntries || _bytes + size > MaxBytes)
            {
                RemoveNode(_recency.Last!);
                _evictions++;
            }
            _map[key] = _recency.AddFirst(new Entry(key, value, size));
            _bytes += size;
        }
    }

    /// <summary>Current statistics.</summary>
    public CacheStatistics Statistics
    {
        get
        {
            lock (_lock)
            {
                return Snapshot();
            }
        }
    }

    /// <summary>Removes every entry and returns the statistics as they were just before (what was cleared). Counters keep counting.</summary>
    public CacheStatistics Clear()
    {
        lock (_lock)
        {
            var before = Snapshot();
            _map.Clear();
            _recency.Clear();
            _bytes = 0;
            return before;
        }
    }

    internal static long SizeOf(CacheKey key, CachedSegment value) => key.EstimatedBytes + value.EstimatedBytes + EntryOverheadBytes;

    private CacheStatistics Snapshot() => new(_map.Count, _bytes, _hits, _misses, _evictions, MaxEntries, MaxBytes);

    private void RemoveNode(LinkedListNode<Entry> node)
    {
        _recency.Remove(node);
        _map.Remove(node.Value.Key);
        _bytes -= node.Value.Bytes;
    }

    private sealed record Entry(CacheKey Key, CachedSegment Value, long Bytes);
}
