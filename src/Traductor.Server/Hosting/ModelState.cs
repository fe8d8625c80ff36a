using Traductor.Core;

namespace Traductor.Server.Hosting;

/// <summary>Where the model is in its life: the service answers at once and reports this until it is ready.</summary>
public enum ModelStatus
{
    /// <summary>The background load is running.</summary>
    Loading,

    /// <summary>The model is loaded and translating.</summary>
    Ready,

    /// <summary>The load failed; <see cref="ModelState.FailureReason"/> says why. The process keeps answering /health with it.</summary>
    Failed,
}

/// <summary>
/// The one <see cref="TranslationService"/> of the process, published by <see cref="ModelLoader"/> once
/// loaded. Owns it: disposed when the host is disposed, after Kestrel has drained in-flight requests.
/// </summary>
public sealed class ModelState : IAsyncDisposable
{
    private volatile TranslationService? _service;
    private volatile string? _failureReason;

    /// <summary>Current status.</summary>
    public ModelStatus Status => _service is not null ? ModelStatus.Ready : _failureReason is not null ? ModelStatus.Failed : ModelStatus.Loading;

    /// <summary>The loaded service, or null while loading or after a failure.</summary>
    public TranslationService? Service => _service;

    /// <summary>Why the load failed (path, format, memory), or null.</summary>
    public string? FailureReason => _failureReason;

    /// <summary>How long the load took, once it finished.</summary>
    public TimeSpan? LoadDuration { get; private set; }

    internal void Publish(TranslationService service, TimeSpan took)
    {
        LoadDuration = took;
        _service = service;
    }

    internal void Fail(string reason, TimeSpan took)
    {
        LoadDuration = took;
        _failureReason = reason;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        var service = Interlocked.Exchange(ref _service, null);
        if (service is not null)
            await service.DisposeAsync().ConfigureAwait(false);
    }
}
