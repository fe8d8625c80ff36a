using System.Diagnostics;

namespace Traductor.Server.Hosting;

/// <summary>When the service started, for uptime in /health and /info.</summary>
public sealed class ServiceClock
{
    private readonly long _started = Stopwatch.GetTimestamp();

    /// <summary>Wall-clock start time.</summary>
    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    /// <summary>Time since start (monotonic).</summary>
    public TimeSpan Uptime => Stopwatch.GetElapsedTime(_started);
}
