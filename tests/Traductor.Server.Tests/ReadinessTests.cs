using System.Net;
using Traductor.Core;
using Traductor.Server.Hosting;

namespace Traductor.Server.Tests;

/// <summary>The process answers at once; until the model is loaded (or when loading failed) it says so with 503.</summary>
public sealed class ReadinessTests
{
    [ModelFact]
    public async Task While_the_model_loads_health_is_503_and_translate_is_503_then_both_turn_200()
    {
        using var gate = new ManualResetEventSlim();
        TranslationService SlowLoad(TranslationServiceOptions options)
        {
            gate.Wait(TimeSpan.FromSeconds(60));
            return TranslationService.Load(options);
        }

        await using var server = await RunningServer.StartAsync(load: SlowLoad, waitUntilReady: false);
        var health = await server.Client.GetAsync("/health");
        var json = await health.JsonAsync(HttpStatusCode.ServiceUnavailable);
        Assert.False(json.GetProperty("model_loaded").GetBoolean());
        Assert.Equal("loading", json.GetProperty("status").GetString());
        Assert.NotNull(health.Headers.RetryAfter);

        var translate = await server.TranslateAsync(new { text = "Hola.", direction = "es-da" });
        Assert.NotNull(translate.Headers.RetryAfter);
        await translate.ErrorAsync(HttpStatusCode.ServiceUnavailable, "model_loading");
        await (await server.Client.PostAsync("/cache/clear", null)).ErrorAsync(HttpStatusCode.ServiceUnavailable, "model_loading");
        // Bad input is still refused for what it is.
        await (await server.PostJsonAsync("/translate", "{")).ErrorAsync(HttpStatusCode.BadRequest, "invalid_json");
        var info = await (await server.Client.GetAsync("/info")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("loading", info.GetProperty("model").GetProperty("status").GetString());
        var metrics = await server.Client.GetStringAsync("/metrics");
        Assert.Equal(0, EndpointTests.MetricValue(metrics, "traductor_model_loaded", null));

        gate.Set();
        await server.WaitForModelAsync();
        await (await server.Client.GetAsync("/health")).JsonAsync(HttpStatusCode.OK);
        await (await server.TranslateAsync(new { text = "Hola.", direction = "es-da", max_new_tokens = 8 })).JsonAsync(HttpStatusCode.OK);
    }

    [ModelFact]
    public async Task A_model_that_fails_to_load_keeps_health_503_with_the_reason()
    {
        var broken = Directory.CreateTempSubdirectory("trd-broken-model-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(broken, "config.json"), "{}");
            File.WriteAllBytes(Path.Combine(broken, "model.bin"), [1, 2, 3, 4, 5, 6, 7]);
            await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["MODEL_PATH"] = broken }, waitUntilReady: false);
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (server.Model.Status == ModelStatus.Loading && DateTime.UtcNow < deadline)
                await Task.Delay(20);

            var json = await (await server.Client.GetAsync("/health")).JsonAsync(HttpStatusCode.ServiceUnavailable);
            Assert.Equal("failed", json.GetProperty("status").GetString());
            Assert.False(json.GetProperty("model_loaded").GetBoolean());
            Assert.Contains(broken, json.GetProperty("reason").GetString(), StringComparison.Ordinal);
            var message = await (await server.TranslateAsync(new { text = "Hola.", direction = "es-da" })).ErrorAsync(HttpStatusCode.ServiceUnavailable, "model_load_failed");
            Assert.Contains(broken, message, StringComparison.Ordinal);
            var info = await (await server.Client.GetAsync("/info")).JsonAsync(HttpStatusCode.OK);
            Assert.Contains(broken, info.GetProperty("model").GetProperty("failure_reason").GetString(), StringComparison.Ordinal);
            Assert.Contains(server.Logs.Lines, l => l.GetProperty("message").GetString()!.StartsWith("Model load failed", StringComparison.Ordinal)
                                                   && l.GetProperty("level").GetString() == "ERROR");
        }
        finally
        {
            Directory.Delete(broken, recursive: true);
        }
    }

    [ModelFact]
    public async Task A_smoke_model_is_labelled_in_health_info_and_metrics()
    {
        var smoke = Directory.CreateTempSubdirectory("trd-smoke-model-").FullName;
        try
        {
            foreach (var file in Directory.GetFiles(TestEnvironment.TinyModel).Where(f => Path.GetFileName(f) != "config.json"))
                File.CreateSymbolicLink(Path.Combine(smoke, Path.GetFileName(file)), file);
            var config = File.ReadAllText(Path.Combine(TestEnvironment.TinyModel, "config.json")).TrimEnd().TrimEnd('}');
            File.WriteAllText(Path.Combine(smoke, "config.json"), config + ",\n  \"traductor_smoke_model\": true\n}\n");
            await using var server = await RunningServer.StartAsync(new Dictionary<string, string?> { ["MODEL_PATH"] = smoke });

            var health = await (await server.Client.GetAsync("/health")).JsonAsync(HttpStatusCode.OK);
            Assert.True(health.GetProperty("smoke_model").GetBoolean());
            Assert.Contains("SMOKE MODEL", health.GetProperty("warning").GetString(), StringComparison.Ordinal);
            var info = await (await server.Client.GetAsync("/info")).JsonAsync(HttpStatusCode.OK);
            Assert.True(info.GetProperty("model").GetProperty("smoke_model").GetBoolean());
            Assert.Contains("SMOKE MODEL", info.GetProperty("model").GetProperty("warning").GetString(), StringComparison.Ordinal);
            Assert.Equal(1, EndpointTests.MetricValue(await server.Client.GetStringAsync("/metrics"), "traductor_smoke_model", null));
            Assert.Contains(server.Logs.Lines, l => l.GetProperty("level").GetString() == "WARNING" && l.GetProperty("message").GetString()!.Contains("SMOKE MODEL", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(smoke, recursive: true);
        }
    }
}
