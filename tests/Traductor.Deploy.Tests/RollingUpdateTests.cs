using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Traductor.Deploy.Tests.Infrastructure;

namespace Traductor.Deploy.Tests;

/// <summary>
/// The zero-downtime rolling update, demonstrated: two `traductor serve` instances behind Debian's nginx
/// running deploy/nginx/traductor.conf (TLS, loopback only), a steady stream of translation requests
/// through nginx, and meanwhile each instance in turn stopped with SIGTERM and replaced by a new one.
/// Not one request may fail. Bounded: the load stops shortly after the second replacement serves again,
/// and never goes beyond a hard time limit. The load is not capped by a request count: on a fast machine a
/// count cap ran out before nginx's fail_timeout had passed, and the replaced instance then saw no traffic.
/// </summary>
public sealed class RollingUpdateTests
{
    // A safety cap only, far above what the time limit allows on any machine this runs on.
    private const int MaxRequests = 1_000_000;
    private const int ReplaceAfter = 60;
    private const int Workers = 4;
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(4);

    private readonly ITestOutputHelper _output;

    public RollingUpdateTests(ITestOutputHelper output) => _output = output;

    private static Dictionary<string, string> Settings() => new(StringComparer.Ordinal)
    {
        ["MODEL_PATH"] = GoldenModel.Directory,
        ["TOKENIZER_PATH"] = GoldenModel.Tokenizer,
        // Two instances share the machine's cores with the load generator and nginx.
        ["CT2_INTER_THREADS"] = "1",
        ["CT2_INTRA_THREADS"] = "1",
        ["LOG_LEVEL"] = "WARNING",
        ["SHUTDOWN_TIMEOUT"] = "30",
        ["DOTNET_EnableDiagnostics"] = "0",
    };

    [GoldenFact]
    public async Task NoRequestFailsWhileEachInstanceIsReplaced()
    {
        Assert.True(GoldenModel.Present, $"golden model missing at {GoldenModel.Directory} (CI requires it)");
        using var logs = new TempDirectory("rolling");
        int[] ports = [FreePort.Next(), FreePort.Next()];
        var instances = new TraductorInstance?[2];
        try
        {
            for (var i = 0; i < 2; i++)
                instances[i] = TraductorInstance.Start(ports[i], Settings(), logs.Path);
            foreach (var instance in instances)
                await instance!.WaitHealthyAsync(TimeSpan.FromSeconds(90));

            // The image's HEALTHCHECK script against the real service.
            var check = Tool.Run("bash", [RepoPaths.File("deploy", "docker", "healthcheck.sh")], timeout: TimeSpan.FromSeconds(20),
                environment: new Dictionary<string, string> { ["PORT"] = ports[0].ToString(CultureInfo.InvariantCulture) });
            Assert.True(check.ExitCode == 0, check.Describe());

            using var nginx = new NginxSetup(ports);
            nginx.Start();
            using var client = NginxConfigTests.InsecureLoopbackClient();
            var url = new Uri($"https://127.0.0.1:{nginx.HttpsPort}/translate");

            var clock = Stopwatch.StartNew();
            var completed = 0;
            var next = 0;
            var stop = false;
            var failures = new List<string>();
            var statuses = new Dictionary<int, int>();
            async Task Worker()
            {
                int n;
                while (!Volatile.Read(ref stop) && (n = Interlocked.Increment(ref next)) <= MaxRequests && clock.Elapsed < Limit)
                {
                    // A different text each time: every request reaches the engine, none is a cache hit.
                    var body = $$"""{"text":"Hola mundo, esta es la frase número {{n}}.","direction":"{{(n % 2 == 0 ? "es-da" : "da-es")}}","max_new_tokens":12}""";
                    string? failure = null;
                    var status = 0;
                    try
                    {
                        using var response = await client.PostAsync(url, NginxConfigTests.Json(body));
                        status = (int)response.StatusCode;
                        var text = await response.Content.ReadAsStringAsync();
                        if (response.StatusCode != HttpStatusCode.OK)
                            failure = $"request {n}: {status} {text}";
                        else if (JsonDocument.Parse(text).RootElement.GetProperty("translation").ValueKind != JsonValueKind.String)
                            failure = $"request {n}: 200 without a translation: {text}";
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException or JsonException)
                    {
                        failure = $"request {n}: {e.GetType().Name}: {e.Message}";
                    }
                    lock (failures)
                    {
                        statuses[status] = statuses.GetValueOrDefault(status) + 1;
                        if (failure is not null)
                            failures.Add(failure);
                    }
                    Interlocked.Increment(ref completed);
                }
            }

            var load = Enumerable.Range(0, Workers).Select(_ => Task.Run(Worker)).ToArray();
            var events = new List<string>();
            for (var i = 0; i < 2; i++)
            {
                // Replace the instances one after the other, each while requests are in flight.
                var mark = Volatile.Read(ref completed) + ReplaceAfter;
                while (Volatile.Read(ref completed) < mark && clock.Elapsed < Limit)
                    await Task.Delay(20);
                var inFlight = Volatile.Read(ref next) - Volatile.Read(ref completed);
                var (exit, drain) = await instances[i]!.TerminateAsync(TimeSpan.FromSeconds(45));
                events.Add($"instance {i + 1} (port {ports[i]}) got SIGTERM after {Volatile.Read(ref completed)} requests with ~{inFlight} in flight; exited {exit} after {drain.TotalMilliseconds:0} ms");
                Assert.True(exit == 0, $"instance {i + 1} did not exit cleanly on SIGTERM (exit {exit}):\n{instances[i]!.Log}");
                instances[i]!.Dispose();

                var logLines = File.Exists(nginx.AccessLog) ? File.ReadAllLines(nginx.AccessLog).Length : 0;
                instances[i] = TraductorInstance.Start(ports[i], Settings(), logs.Path);
                await instances[i]!.WaitHealthyAsync(TimeSpan.FromSeconds(90));
                // Rolling discipline: the next instance is stopped only once nginx sends traffic to the new
                // one again (after fail_timeout it probes the instance it had marked failed).
                await WaitForTrafficAsync(nginx, ports[i], logLines, TimeSpan.FromSeconds(60), load);
                events.Add($"instance {i + 1} replaced: healthy and serving through nginx again at {clock.Elapsed.TotalSeconds:0.0} s");
            }
            // A last stretch with both new instances, then stop the load.
            var end = Volatile.Read(ref completed) + ReplaceAfter;
            while (Volatile.Read(ref completed) < end && clock.Elapsed < Limit && !load.All(t => t.IsCompleted))
                await Task.Delay(20);
            Volatile.Write(ref stop, true);
            await Task.WhenAll(load);
            clock.Stop();

            var access = File.ReadAllLines(nginx.AccessLog).Select(l => JsonDocument.Parse(l).RootElement).Where(e => e.GetProperty("request").GetString() == "POST /translate").ToList();
            var retried = access.Count(e => e.GetProperty("upstream_addr").GetString()!.Contains(',', StringComparison.Ordinal));
            var perInstance = ports.Select(p => access.Count(e => e.GetProperty("upstream_addr").GetString()!.EndsWith($":{p}", StringComparison.Ordinal))).ToArray();
            var summary = string.Join('\n', [
                $"rolling update through nginx: {completed} requests, {failures.Count} failed, in {clock.Elapsed.TotalSeconds:0.0} s ({Workers} concurrent clients)",
                $"status codes: {string.Join(", ", statuses.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}: {kv.Value}"))}",
                $"served by instance 1: {perInstance[0]}, instance 2: {perInstance[1]}; replayed on the other instance by nginx: {retried}",
                .. events]);
            _output.WriteLine(summary);
            DeployReport.Write("rolling-update", summary);

            Assert.True(completed >= 3 * ReplaceAfter && clock.Elapsed < Limit, summary);
            Assert.True(failures.Count == 0, summary + "\n" + string.Join('\n', failures.Take(20)));
            Assert.All(perInstance, count => Assert.True(count > 0, summary));
        }
        finally
        {
            foreach (var instance in instances)
                instance?.Dispose();
        }
    }

    private static async Task WaitForTrafficAsync(NginxSetup nginx, int port, int skipLines, TimeSpan timeout, Task[] load)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            var loadEnded = load.All(t => t.IsCompleted);
            var served = File.ReadAllLines(nginx.AccessLog).Skip(skipLines)
                .Select(l => JsonDocument.Parse(l).RootElement)
                .Any(e => e.GetProperty("upstream_addr").GetString() == $"127.0.0.1:{port}" && e.GetProperty("upstream_status").GetString() == "200");
            if (served)
                return;
            Assert.False(loadEnded, $"the load ended (time limit {Limit.TotalMinutes} min) before nginx sent a request to the replaced instance on port {port}");
            await Task.Delay(100);
        }
        Assert.Fail($"nginx sent no request to the replaced instance on port {port} within {timeout.TotalSeconds} s");
    }
}
