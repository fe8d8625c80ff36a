using System.Diagnostics;
using System.Net;

namespace Traductor.Server.Tests;

/// <summary>REQUEST_TIMEOUT (504, the engine stops) and the bounded queue (429 with Retry-After).</summary>
public sealed class TimeoutAndQueueTests
{
    [ModelFact]
    public async Task A_request_over_request_timeout_gets_504_and_the_engine_stops_working_on_it()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["REQUEST_TIMEOUT"] = "1.5",
            ["MAX_BATCH_SIZE"] = "1",
            ["MAX_TEXTS_PER_REQUEST"] = "64",
            ["MAX_MAX_NEW_TOKENS"] = "256",
            ["DEFAULT_MAX_NEW_TOKENS"] = "256",
        });
        // 64 texts × 12 distinct sentences, 256 tokens each with a beam of 4: minutes of work for one
        // engine replica, cut at 1.5 s.
        var texts = Enumerable.Range(0, 64).Select(i => Workload.Text(i * 12, 12)).ToArray();
        var clock = Stopwatch.StartNew();
        var response = await server.TranslateAsync(new { texts, direction = "es-da", beam_size = 4 });
        var message = await response.ErrorAsync(HttpStatusCode.GatewayTimeout, "timeout");
        Assert.Contains("REQUEST_TIMEOUT", message, StringComparison.Ordinal);
        Assert.InRange(clock.Elapsed.TotalSeconds, 1.4, 6);

        // Cancelled in the engine: nothing stays queued, the token count stops moving, and a small
        // request does not wait behind hundreds of abandoned segments (it would time out too).
        var service = server.Model.Service!;
        var settle = Stopwatch.StartNew();
        while (service.QueueDepth > 0 && settle.Elapsed < TimeSpan.FromSeconds(2))
            await Task.Delay(10);
        Assert.Equal(0, service.QueueDepth);
        await Task.Delay(300);
        var tokens = service.TokensGenerated;
        await Task.Delay(500);
        Assert.Equal(tokens, service.TokensGenerated);
        await (await server.TranslateAsync(new { text = "Hola.", direction = "es-da", max_new_tokens = 4, beam_size = 1 })).JsonAsync(HttpStatusCode.OK);

        var metrics = await server.Client.GetStringAsync("/metrics");
        Assert.Equal(1, EndpointTests.MetricValue(metrics, "traductor_requests_total", "endpoint=\"/translate\",status=\"504\",direction=\"es-da\""));
        Assert.Contains(server.Logs.Lines, l => l.GetProperty("message").GetString() == "Translation failed" && l.GetProperty("code").GetString() == "timeout");
    }

    [ModelFact]
    public async Task A_full_queue_gets_429_with_retry_after_and_the_service_recovers()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["MAX_QUEUED_SEGMENTS"] = "4" });
        var response = await server.TranslateAsync(new { text = Workload.Text(0, 10), direction = "es-da" });
        Assert.Equal(TimeSpan.FromSeconds(1), response.Headers.RetryAfter?.Delta);
        await response.ErrorAsync(HttpStatusCode.TooManyRequests, "queue_full");
        await (await server.TranslateAsync(new { text = Workload.Text(100, 2), direction = "es-da", max_new_tokens = 16 })).JsonAsync(HttpStatusCode.OK);
        var metrics = await server.Client.GetStringAsync("/metrics");
        Assert.Equal(1, EndpointTests.MetricValue(metrics, "traductor_requests_total", "endpoint=\"/translate\",status=\"429\",direction=\"es-da\""));
    }

    [ModelFact]
    public async Task Concurrent_requests_beyond_the_queue_get_429_while_the_rest_succeed()
    {
        await using var server = await RunningServer.StartAsync(new Dictionary<string, string?>
        {
            ["MAX_QUEUED_SEGMENTS"] = "8",
            ["MAX_BATCH_SIZE"] = "1",
            ["DEFAULT_MAX_NEW_TOKENS"] = "8",
        });
        var requests = Enumerable.Range(0, 10)
            .Select(i => server.TranslateAsync(new { text = Workload.Text(i * 4, 4), direction = "es-da", beam_size = 2 }))
            .ToList();
        var statuses = (await Task.WhenAll(requests)).Select(r => r.StatusCode).ToList();
        Assert.All(statuses, s => Assert.True(s is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, $"unexpected {s}"));
        Assert.Contains(HttpStatusCode.OK, statuses);
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
    }

    [ModelFact]
    public async Task Shutdown_drains_in_flight_requests()
    {
        var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["MAX_BATCH_SIZE"] = "1", ["DEFAULT_MAX_NEW_TOKENS"] = "32" });
        try
        {
            // About a second of greedy work in eight engine calls: still running when the stop begins.
            var inFlight = server.TranslateAsync(new { texts = Enumerable.Range(0, 4).Select(i => Workload.Text(1000 + i * 2, 2)).ToArray(), direction = "es-da", beam_size = 1 });
            var settle = Stopwatch.StartNew();
            while (server.Model.Service!.QueueDepth == 0 && settle.Elapsed < TimeSpan.FromSeconds(5))
                await Task.Delay(5);
            var stopping = server.App.StopAsync();
            var response = await inFlight;
            await response.JsonAsync(HttpStatusCode.OK);
            await stopping;
        }
        finally
        {
            await server.DisposeAsync();
        }
    }
}
