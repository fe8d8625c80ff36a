using System.Diagnostics;

namespace Traductor.Core.Scheduling;

/// <summary>
/// Groups segments of concurrent requests into engine batches and runs them on dedicated threads,
/// one per engine replica.
/// <list type="bullet">
/// <item>A waiting segment waits at most the batch window for others with the same decoding settings;
/// a full batch leaves at once. Among waiting segments, those of similar length travel together
/// (less padding); the oldest always goes first, so nothing starves.</item>
/// <item>The queue is bounded: a request whose new segments do not fit is refused whole
/// (<see cref="QueueFullException"/>), never half-queued.</item>
/// <item>Equal jobs (same key) are translated once and shared by every request that asks.</item>
/// <item>Cancellation is per request: its queued segments leave the queue; a running batch is
/// cancelled in the engine only when no request still waits for any of its segments, so a request
/// sharing a batch with a cancelled one never fails because of it.</item>
/// </list>
/// </summary>
/// <typeparam name="TResult">What <c>finish</c> makes of a hypothesis (runs on the worker thread once per job).</typeparam>
public sealed class SegmentBatcher<TResult> : IAsyncDisposable
{
    /// <summary>How many waiting segments (in multiples of the batch size) are considered when picking similar lengths.</summary>
    private const int LengthWindowFactor = 4;

    private readonly object _lock = new();
    private readonly ISegmentEngine _engine;
    private readonly Func<SegmentJob, IReadOnlyList<string>, TResult> _finish;
    private readonly int _maxBatchSize;
    private readonly int _maxQueued;
    private readonly long _windowTicks;
    private readonly LinkedList<WorkItem> _queue = new();
    private readonly Dictionary<object, WorkItem> _inFlight = [];
    private readonly TaskCompletionSource[] _workerExits;
    private bool _disposing;

    /// <summary>Starts <paramref name="workers"/> long-running worker threads.</summary>
    public SegmentBatcher(
        ISegmentEngine engine,
        Func<SegmentJob, IReadOnlyList<string>, TResult> finish,
        int workers,
        int maxBatchSize,
        int maxQueuedSegments,
        TimeSpan batchWindow)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(finish);
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxQueuedSegments, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchWindow, TimeSpan.Zero);
        _engine = engine;
        _finish = finish;
        _maxBatchSize = maxBatchSize;
        _maxQueued = maxQueuedSegments;
        _windowTicks = (long)(batchWindow.TotalSeconds * Stopwatch.Frequency);
        _workerExits = new TaskCompletionSource[workers];
        for (var i = 0; i < workers; i++)
        {
            var exit = _workerExits[i] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            // Dedicated threads: the engine call blocks for the whole batch, which would starve the thread pool.
            new Thread(() => RunWorker(exit)) { IsBackground = true, Name = $"traductor-batch-{i}" }.Start();
        }
    }

    /// <summary>Segments waiting for a worker (running ones not included).</summary>
    public int QueueDepth { get; private set; }

    /// <summary>
    /// Queues <paramref name="jobs"/> and completes with one result per job, in order. Throws
    /// <see cref="QueueFullException"/> at once when the queue cannot take them; cancels with
    /// <paramref name="cancellationToken"/>.
    /// </summary>
    public Task<TResult[]> SubmitAsync(IReadOnlyList<SegmentJob> jobs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<TResult[]>(cancellationToken);
        }
        if (jobs.Count == 0)
        {
            return Task.FromResult(Array.Empty<TResult>());
        }
        var ticket = new Ticket(jobs.Count);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposing, this);
            var newKeys = new HashSet<object>();
            foreach (var job in jobs)
            {
                if (!_inFlight.ContainsKey(job.Key))
                {
                    newKeys.Add(job.Key);
                }
            }
            if (newKeys.Count > _maxQueued)
            {
                // Retrying cannot help this one: say so rather than invite the client to try again.
                throw new QueueFullException(
                    $"this request needs {newKeys.Count} segments, more than the whole translation queue holds ({_maxQueued}); send it in smaller requests");
            }
            if (QueueDepth + newKeys.Count > _maxQueued)
            {
                throw new QueueFullException(
                    $"the translation queue is full ({QueueDepth} of {_maxQueued} segments waiting; this request needs {newKeys.Count}); retry later");
            }
            var now = Stopwatch.GetTimestamp();
            for (var i = 0; i < jobs.Count; i++)
            {
                if (!_inFlight.TryGetValue(jobs[i].Key, out var item))
                {
                    item = new WorkItem(jobs[i], now);
                    item.QueueNode = _queue.AddLast(item);
                    _inFlight.Add(jobs[i].Key, item);
                    QueueDepth++;
                }
                item.Waiters.Add((ticket, i));
                ticket.Items.Add(item);
            }
            Monitor.PulseAll(_lock);
        }
        if (cancellationToken.CanBeCanceled)
        {
            var registration = cancellationToken.Register(() => Cancel(ticket, cancellationToken));
            ticket.Completion.Task.ContinueWith(
                static (_, state) => ((CancellationTokenRegistration)state!).Dispose(),
                registration,
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
        return ticket.Completion.Task;
    }

    /// <summary>Stops taking requests, lets queued and running work finish, and waits for the workers to end.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_lock)
        {
            _disposing = true;
            Monitor.PulseAll(_lock);
        }
        await Task.WhenAll(_workerExits.Select(e => e.Task)).ConfigureAwait(false);
    }

    private void Cancel(Ticket ticket, CancellationToken cancellationToken)
    {
        CancellationTokenSource? toCancel = null;
        lock (_lock)
        {
            if (ticket.Completion.Task.IsCompleted)
            {
                return;
            }
            foreach (var item in ticket.Items)
            {
                item.Waiters.RemoveAll(w => w.Ticket == ticket);
                if (item.Waiters.Count > 0 || item.Abandoned)
                {
                    continue;
                }
                item.Abandoned = true;
                _inFlight.Remove(item.Job.Key);
                if (item.QueueNode is not null)
                {
                    _queue.Remove(item.QueueNode);
                    item.QueueNode = null;
                    QueueDepth--;
                }
                else if (item.Batch is { } batch && --batch.LiveItems == 0)
                {
                    toCancel = batch.Cancellation;
                }
            }
            ticket.Completion.TrySetCanceled(cancellationToken);
        }
        // Outside the lock: cancelling runs the engine's registration (it sets the native cancel flag).
        toCancel?.Cancel();
    }

    private void RunWorker(TaskCompletionSource exit)
    {
        try
        {
            while (TakeBatch() is { } batch)
            {
                RunBatch(batch);
            }
        }
        finally
        {
            exit.TrySetResult();
        }
    }

    /// <summary>Waits for a batch to be due and takes it from the queue; null when disposing with nothing left.</summary>
    private Batch? TakeBatch()
    {
        lock (_lock)
        {
            while (true)
            {
                if (_queue.First is null)
                {
                    if (_disposing)
                    {
                        return null;
                    }
                    Monitor.Wait(_lock);
                    continue;
                }
                var oldest = _queue.First.Value;
                var matching = _queue.Where(w => w.Job.Settings == oldest.Job.Settings).Take(_maxBatchSize * LengthWindowFactor).ToList();
                var remaining = oldest.EnqueuedAt + _windowTicks - Stopwatch.GetTimestamp();
                if (matching.Count < _maxBatchSize && remaining > 0 && !_disposing)
                {
                    Monitor.Wait(_lock, TimeSpan.FromSeconds((double)remaining / Stopwatch.Frequency));
                    continue;
                }
                var batch = new Batch(ChooseSimilarLengths(matching, oldest));
                foreach (var item in batch.Items)
                {
                    _queue.Remove(item.QueueNode!);
                    item.QueueNode = null;
                    item.Batch = batch;
                }
                QueueDepth -= batch.Items.Count;
                batch.LiveItems = batch.Items.Count;
                return batch;
            }
        }
    }

    /// <summary>The batch: the oldest item plus the neighbours closest to it in length (sorted by length).</summary>
    private List<WorkItem> ChooseSimilarLengths(List<WorkItem> candidates, WorkItem oldest)
    {
        candidates.Sort((a, b) => a.Job.Source.Count.CompareTo(b.Job.Source.Count));
        if (candidates.Count <= _maxBatchSize)
        {
            return candidates;
        }
        var position = candidates.IndexOf(oldest);
        var bestStart = Math.Max(0, position - _maxBatchSize + 1);
        var lastStart = Math.Min(position, candidates.Count - _maxBatchSize);
        for (var start = bestStart + 1; start <= lastStart; start++)
        {
            if (Spread(candidates, start) < Spread(candidates, bestStart))
            {
                bestStart = start;
            }
        }
        return candidates.GetRange(bestStart, _maxBatchSize);
    }

    private int Spread(List<WorkItem> sorted, int start) =>
        sorted[start + _maxBatchSize - 1].Job.Source.Count - sorted[start].Job.Source.Count;

    private void RunBatch(Batch batch)
    {
        var items = batch.Items;
        IReadOnlyList<IReadOnlyList<string>> hypotheses;
        try
        {
            hypotheses = _engine.TranslateBatch(
                items.Select(i => i.Job.Source).ToList(),
                items.Select(i => i.Job.TargetPrefix).ToList(),
                items[0].Job.Settings,
                batch.Cancellation.Token);
            if (hypotheses.Count != items.Count)
            {
                throw new InvalidOperationException($"the engine returned {hypotheses.Count} results for {items.Count} segments");
            }
        }
        catch (OperationCanceledException) when (batch.Cancellation.IsCancellationRequested)
        {
            // Only cancelled when no request waits for any item any more: nobody to tell.
            return;
        }
        catch (Exception error)
        {
            // Like CTranslate2: a failing batch fails every request in it with the same error.
            for (var i = 0; i < items.Count; i++)
            {
                Complete(items[i], default, error);
            }
            return;
        }
        for (var i = 0; i < items.Count; i++)
        {
            TResult result;
            try
            {
                result = _finish(items[i].Job, hypotheses[i]);
            }
            catch (Exception error)
            {
                Complete(items[i], default, error);
                continue;
            }
            Complete(items[i], result, null);
        }
    }

    private void Complete(WorkItem item, TResult? result, Exception? error)
    {
        List<Ticket>? finished = null;
        lock (_lock)
        {
            if (!item.Abandoned)
            {
                _inFlight.Remove(item.Job.Key);
            }
            foreach (var (ticket, index) in item.Waiters)
            {
                if (error is not null)
                {
                    (finished ??= []).Add(ticket);
                    ticket.Error = error;
                    continue;
                }
                ticket.Results[index] = result!;
                if (--ticket.Remaining == 0)
                {
                    (finished ??= []).Add(ticket);
                }
            }
            item.Waiters.Clear();
        }
        foreach (var ticket in finished ?? [])
        {
            if (ticket.Error is not null)
            {
                ticket.Completion.TrySetException(ticket.Error);
            }
            else
            {
                ticket.Completion.TrySetResult(ticket.Results);
            }
        }
    }

    private sealed class WorkItem(SegmentJob job, long enqueuedAt)
    {
        public SegmentJob Job { get; } = job;
        public long EnqueuedAt { get; } = enqueuedAt;
        public List<(Ticket Ticket, int Index)> Waiters { get; } = [];
        public LinkedListNode<WorkItem>? QueueNode { get; set; }
        public Batch? Batch { get; set; }
        public bool Abandoned { get; set; }
    }

    private sealed class Batch(List<WorkItem> items)
    {
        public List<WorkItem> Items { get; } = items;
        public int LiveItems { get; set; }
        // Never disposed: a late Cancel() may still run after the batch ended, and a source without
        // timers or wait handles holds nothing that needs releasing.
        public CancellationTokenSource Cancellation { get; } = new();
    }

    private sealed class Ticket(int count)
    {
        public TaskCompletionSource<TResult[]> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TResult[] Results { get; } = new TResult[count];
        public int Remaining { get; set; } = count;
        public List<WorkItem> Items { get; } = [];
        public Exception? Error { get; set; }
    }
}
