using System.Collections.Concurrent;
using Traductor.Core.Scheduling;

namespace Traductor.Core.Tests;

/// <summary>
/// Scheduling rules of the batcher, with a scripted engine so timing-dependent cases (a batch held
/// while another request cancels) are deterministic. The same behaviour through the real native
/// engine is covered by TranslationServiceTests.
/// </summary>
public sealed class SegmentBatcherTests
{
    private static readonly DecodingSettings Beam4 = new(4, 65);

    private static SegmentJob Job(string text, DecodingSettings? settings = null) =>
        new(text, [.. text.Split(' ')], ["dan_Latn"], settings ?? Beam4);

    private static SegmentBatcher<string> Batcher(ScriptedEngine engine, int workers = 1, int maxBatch = 16, int maxQueued = 100, double windowMs = 20) =>
        new(engine, (job, hypothesis) => string.Join(' ', hypothesis), workers, maxBatch, maxQueued, TimeSpan.FromMilliseconds(windowMs));

    [Fact]
    public async Task Concurrent_requests_share_one_batch_within_the_window()
    {
        var engine = new ScriptedEngine();
        await using var batcher = Batcher(engine, windowMs: 200);
        var tasks = Enumerable.Range(0, 10).Select(i => batcher.SubmitAsync([Job($"frase {i}")], CancellationToken.None)).ToList();
        var results = await Task.WhenAll(tasks);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"dan_Latn FRASE {i}"), results.Select(r => r.Single()));
        Assert.Equal([10], engine.BatchSizes);
    }

    [Fact]
    public async Task A_full_batch_leaves_without_waiting_for_the_window()
    {
        var engine = new ScriptedEngine();
        await using var batcher = Batcher(engine, maxBatch: 4, windowMs: 60_000);
        var result = await batcher.SubmitAsync([Job("a"), Job("b"), Job("c"), Job("d")], CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["dan_Latn A", "dan_Latn B", "dan_Latn C", "dan_Latn D"], result);
        Assert.Equal([4], engine.BatchSizes);
    }

    [Fact]
    public async Task Batches_never_mix_decoding_settings_and_are_sorted_by_length()
    {
        var engine = new ScriptedEngine();
        await using var batcher = Batcher(engine, windowMs: 100);
        var greedy = new DecodingSettings(1, 65);
        var results = await Task.WhenAll(
            batcher.SubmitAsync([Job("uno dos tres"), Job("uno", greedy), Job("uno dos")], CancellationToken.None),
            batcher.SubmitAsync([Job("x y z w", greedy), Job("x")], CancellationToken.None));
        Assert.Equal(["dan_Latn UNO DOS TRES", "dan_Latn UNO", "dan_Latn UNO DOS"], results[0]);
        Assert.All(engine.Batches, b => Assert.Single(b.Select(j => j.Settings).Distinct()));
        Assert.All(engine.Batches, b => Assert.Equal(b.Select(j => j.Length).Order(), b.Select(j => j.Length)));
        Assert.Equal(2, engine.Batches.Count);
    }

    [Fact]
    public async Task Equal_jobs_are_translated_once_and_shared()
    {
        var engine = new ScriptedEngine();
        await using var batcher = Batcher(engine, windowMs: 100);
        var results = await Task.WhenAll(
            batcher.SubmitAsync([Job("hola"), Job("hola"), Job("adiós")], CancellationToken.None),
            batcher.SubmitAsync([Job("hola")], CancellationToken.None));
        Assert.Equal(["dan_Latn HOLA", "dan_Latn HOLA", "dan_Latn ADIÓS"], results[0]);
        Assert.Equal(["dan_Latn HOLA"], results[1]);
        Assert.Equal(2, engine.Batches.Sum(b => b.Count));
    }

    [Fact]
    public async Task A_full_queue_refuses_the_whole_request()
    {
        var engine = new ScriptedEngine { Gate = new ManualResetEventSlim(false) };
        await using var batcher = Batcher(engine, maxBatch: 1, maxQueued: 3, windowMs: 0);
        var running = batcher.SubmitAsync([Job("a")], CancellationToken.None);
        await engine.WaitForCallsAsync(1);
        var queued = batcher.SubmitAsync([Job("b"), Job("c")], CancellationToken.None);
        Assert.Equal(2, batcher.QueueDepth);
        var error = Assert.Throws<QueueFullException>(() => { _ = batcher.SubmitAsync([Job("d"), Job("e")], CancellationToken.None); });
        Assert.Equal("queue_full", error.Code);
        Assert.Contains("retry later", error.Message);
        Assert.Equal(2, batcher.QueueDepth);
        var never = Assert.Throws<QueueFullException>(() => { _ = batcher.SubmitAsync([Job("w"), Job("x"), Job("y"), Job("z")], CancellationToken.None); });
        Assert.Contains("smaller requests", never.Message);
        // Jobs already queued or running cost nothing new, so they are accepted.
        var shared = batcher.SubmitAsync([Job("b"), Job("a"), Job("f")], CancellationToken.None);
        Assert.Equal(3, batcher.QueueDepth);
        engine.Gate.Set();
        Assert.Equal(["dan_Latn B", "dan_Latn A", "dan_Latn F"], await shared);
        await Task.WhenAll(running, queued);
    }

    [Fact]
    public async Task Cancelling_a_queued_request_removes_its_segments()
    {
        var engine = new ScriptedEngine { Gate = new ManualResetEventSlim(false) };
        await using var batcher = Batcher(engine, maxBatch: 1, windowMs: 0);
        var running = batcher.SubmitAsync([Job("a")], CancellationToken.None);
        await engine.WaitForCallsAsync(1);
        using var cancel = new CancellationTokenSource();
        var doomed = batcher.SubmitAsync([Job("b"), Job("c")], cancel.Token);
        var survivor = batcher.SubmitAsync([Job("d")], CancellationToken.None);
        Assert.Equal(3, batcher.QueueDepth);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => doomed);
        Assert.Equal(1, batcher.QueueDepth);
        engine.Gate.Set();
        Assert.Equal(["dan_Latn A"], await running);
        Assert.Equal(["dan_Latn D"], await survivor);
        Assert.DoesNotContain(engine.Batches.SelectMany(b => b), j => j.Text is "b" or "c");
    }

    [Fact]
    public async Task Cancelling_one_request_of_a_shared_running_batch_does_not_disturb_the_other()
    {
        var engine = new ScriptedEngine { Gate = new ManualResetEventSlim(false) };
        await using var batcher = Batcher(engine, windowMs: 100);
        using var cancel = new CancellationTokenSource();
        var doomed = batcher.SubmitAsync([Job("uno"), Job("común")], cancel.Token);
        var survivor = batcher.SubmitAsync([Job("dos"), Job("común")], CancellationToken.None);
        await engine.WaitForCallsAsync(1);
        Assert.Equal(3, engine.Batches.Single().Count);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => doomed);
        Assert.False(engine.LastToken.IsCancellationRequested);
        engine.Gate.Set();
        Assert.Equal(["dan_Latn DOS", "dan_Latn COMÚN"], await survivor);
    }

    [Fact]
    public async Task Cancelling_every_request_of_a_running_batch_cancels_the_engine_call()
    {
        var engine = new ScriptedEngine { Gate = new ManualResetEventSlim(false) };
        await using var batcher = Batcher(engine, windowMs: 100);
        using var first = new CancellationTokenSource();
        using var second = new CancellationTokenSource();
        var a = batcher.SubmitAsync([Job("uno")], first.Token);
        var b = batcher.SubmitAsync([Job("dos")], second.Token);
        await engine.WaitForCallsAsync(1);
        await first.CancelAsync();
        Assert.False(engine.LastToken.IsCancellationRequested);
        await second.CancelAsync();
        Assert.True(engine.LastToken.IsCancellationRequested);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => a);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => b);
        // The worker is free again.
        engine.Gate.Set();
        Assert.Equal(["dan_Latn TRES"], await batcher.SubmitAsync([Job("tres")], CancellationToken.None));
    }

    [Fact]
    public async Task An_engine_failure_fails_every_request_of_the_batch_and_later_batches_run()
    {
        var engine = new ScriptedEngine { FailNext = new InvalidOperationException("engine broke") };
        await using var batcher = Batcher(engine, windowMs: 100);
        var a = batcher.SubmitAsync([Job("uno")], CancellationToken.None);
        var b = batcher.SubmitAsync([Job("dos")], CancellationToken.None);
        Assert.Equal("engine broke", (await Assert.ThrowsAsync<InvalidOperationException>(() => a)).Message);
        Assert.Equal("engine broke", (await Assert.ThrowsAsync<InvalidOperationException>(() => b)).Message);
        Assert.Equal(["dan_Latn TRES"], await batcher.SubmitAsync([Job("tres")], CancellationToken.None));
    }

    [Fact]
    public async Task Several_workers_run_batches_in_parallel()
    {
        var engine = new ScriptedEngine { Gate = new ManualResetEventSlim(false) };
        await using var batcher = Batcher(engine, workers: 3, maxBatch: 1, windowMs: 0);
        var tasks = Enumerable.Range(0, 3).Select(i => batcher.SubmitAsync([Job($"s{i}")], CancellationToken.None)).ToList();
        await engine.WaitForCallsAsync(3);
        Assert.Equal(3, engine.Concurrent);
        engine.Gate.Set();
        await Task.WhenAll(tasks);
    }

    [Fact]
    public async Task Dispose_drains_queued_work_and_refuses_new_requests()
    {
        var engine = new ScriptedEngine();
        var batcher = Batcher(engine, windowMs: 50);
        var pending = batcher.SubmitAsync([Job("uno")], CancellationToken.None);
        await batcher.DisposeAsync();
        Assert.Equal(["dan_Latn UNO"], await pending);
        Assert.Throws<ObjectDisposedException>(() => { _ = batcher.SubmitAsync([Job("dos")], CancellationToken.None); });
    }

    /// <summary>Upper-cases the source after the prefix; can hold every call at a gate and fail once.</summary>
    private sealed class ScriptedEngine : ISegmentEngine
    {
        private int _calls;
        private int _running;

        public ManualResetEventSlim? Gate { get; init; }

        public Exception? FailNext { get; set; }

        public ConcurrentQueue<int> BatchSizesQueue { get; } = new();

        public List<int> BatchSizes => [.. BatchSizesQueue];

        public List<List<(string Text, int Length, DecodingSettings Settings)>> Batches { get; } = [];

        public CancellationToken LastToken { get; private set; }

        public int Concurrent { get; private set; }

        public IReadOnlyList<IReadOnlyList<string>> TranslateBatch(
            IReadOnlyList<IReadOnlyList<string>> sources,
            IReadOnlyList<IReadOnlyList<string>> targetPrefixes,
            DecodingSettings settings,
            CancellationToken cancellationToken)
        {
            lock (Batches)
            {
                Batches.Add([.. sources.Select(s => (string.Join(' ', s), s.Count, settings))]);
                LastToken = cancellationToken;
                Concurrent = Math.Max(Concurrent, Interlocked.Increment(ref _running));
            }
            BatchSizesQueue.Enqueue(sources.Count);
            Interlocked.Increment(ref _calls);
            try
            {
                Gate?.Wait(cancellationToken);
                if (FailNext is { } failure)
                {
                    FailNext = null;
                    throw failure;
                }
                return [.. sources.Select((s, i) => (IReadOnlyList<string>)[.. targetPrefixes[i], .. s.Select(t => t.ToUpperInvariant())])];
            }
            finally
            {
                Interlocked.Decrement(ref _running);
            }
        }

        public async Task WaitForCallsAsync(int count)
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (Volatile.Read(ref _calls) < count)
            {
                Assert.True(DateTime.UtcNow < deadline, $"the engine saw {_calls} calls, expected {count}");
                await Task.Delay(5);
            }
        }
    }
}
