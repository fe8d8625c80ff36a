namespace Traductor.Server.Metrics;

/// <summary>
/// Generated tokens per second over the last minute, from samples of a monotonic token counter.
/// Sampling on every scrape and every finished request keeps it current without a timer.
/// </summary>
internal sealed class TokenRate(TimeSpan window)
{
    private readonly Lock _gate = new();
    private readonly Queue<(long Ticks, long Tokens)> _samples = new();

    public double Observe(long totalTokens, long nowTicks)
    {
        lock (_gate)
        {
            var windowTicks = (long)(window.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
            while (_samples.Count > 1 && nowTicks - _samples.Peek().Ticks > windowTicks)
                _samples.Dequeue();
            // A sample per ~100 ms is plenty; more would only grow the queue under load.
            var last = _samples.Count > 0 ? _samples.Last() : default;
            if (_samples.Count == 0 || nowTicks - last.Ticks >= System.Diagnostics.Stopwatch.Frequency / 10)
                _samples.Enqueue((nowTicks, totalTokens));
            var first = _samples.Peek();
            var seconds = (double)(nowTicks - first.Ticks) / System.Diagnostics.Stopwatch.Frequency;
            return seconds <= 0 ? 0 : Math.Max(0, totalTokens - first.Tokens) / seconds;
        }
    }
}
