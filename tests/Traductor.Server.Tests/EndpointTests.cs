using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Traductor.Server.Tests;

/// <summary>Every endpoint's success path and the headers every response carries, over a real Kestrel.</summary>
public sealed class EndpointTests(ReadyServerFixture fixture) : IClassFixture<ReadyServerFixture>
{
    private RunningServer Server => fixture.Server;

    [ModelFact]
    public async Task Health_is_200_with_model_loaded_once_loaded()
    {
        var json = await (await Server.Client.GetAsync("/health")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("ok", json.GetProperty("status").GetString());
        Assert.True(json.GetProperty("model_loaded").GetBoolean());
        Assert.False(json.GetProperty("smoke_model").GetBoolean());
        Assert.True(json.GetProperty("uptime_seconds").GetDouble() > 0);
    }

    [ModelFact]
    public async Task Head_health_answers_with_the_security_headers_for_curl_I()
    {
        using var response = await Server.Client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/health"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        AssertSecurityHeaders(response);
    }

    [ModelFact]
    public async Task Translate_one_text_reports_translation_counts_and_direction()
    {
        var json = await (await Server.TranslateAsync(new { text = "Hola, ¿cómo estás? Hoy hace buen tiempo.", direction = "es-da" })).JsonAsync(HttpStatusCode.OK);
        Assert.False(string.IsNullOrEmpty(json.GetProperty("translation").GetString()));
        Assert.False(json.TryGetProperty("translations", out _));
        Assert.Equal("es-da", json.GetProperty("direction").GetString());
        Assert.True(json.GetProperty("input_tokens").GetInt32() > 0);
        Assert.True(json.GetProperty("output_tokens").GetInt32() > 0);
        Assert.Equal(2, json.GetProperty("segments").GetInt32());
        Assert.True(json.TryGetProperty("hit_token_budget", out _));
        Assert.True(json.TryGetProperty("cache_hits", out _));
    }

    [ModelFact]
    public async Task Translate_keeps_paragraph_structure()
    {
        var json = await (await Server.TranslateAsync(new { text = "Primera frase.\n\nSegundo párrafo aquí.\n", direction = "es-da" })).JsonAsync(HttpStatusCode.OK);
        var translation = json.GetProperty("translation").GetString()!;
        Assert.Contains("\n\n", translation, StringComparison.Ordinal);
        Assert.EndsWith("\n", translation, StringComparison.Ordinal);
    }

    [ModelFact]
    public async Task Batches_come_back_in_order_in_every_accepted_shape()
    {
        object[] shapes =
        [
            new { texts = new[] { "Uno.", "Dos y tres.", "Cuatro." }, direction = "es-da" },
            new { text = new[] { "Uno.", "Dos y tres.", "Cuatro." }, source_lang = "ES", target_lang = "DA" },
            new { q = new[] { "Uno.", "Dos y tres.", "Cuatro." }, source = "es", target = "da" },
        ];
        string[]? first = null;
        foreach (var shape in shapes)
        {
            var json = await (await Server.TranslateAsync(shape)).JsonAsync(HttpStatusCode.OK);
            var items = json.GetProperty("translations").EnumerateArray().ToList();
            Assert.Equal(3, items.Count);
            Assert.All(items, i => Assert.True(i.GetProperty("input_tokens").GetInt32() > 0));
            var texts = items.Select(i => i.GetProperty("translation").GetString()!).ToArray();
            first ??= texts;
            Assert.Equal(first, texts);
            Assert.Equal(items.Sum(i => i.GetProperty("segments").GetInt32()), json.GetProperty("segments").GetInt32());
        }
    }

    [ModelFact]
    public async Task Both_directions_translate_and_are_counted_in_metrics()
    {
        await (await Server.TranslateAsync(new { text = "God morgen.", direction = "da-es" })).JsonAsync(HttpStatusCode.OK);
        await (await Server.TranslateAsync(new { text = "Buenos días.", direction = "es-da" })).JsonAsync(HttpStatusCode.OK);
        var metrics = await Server.Client.GetStringAsync("/metrics");
        Assert.True(MetricValue(metrics, "traductor_requests_total", "endpoint=\"/translate\",status=\"200\",direction=\"da-es\"") >= 1);
        Assert.True(MetricValue(metrics, "traductor_requests_total", "endpoint=\"/translate\",status=\"200\",direction=\"es-da\"") >= 1);
    }

    [ModelFact]
    public async Task A_repeated_text_is_a_cache_hit_and_cache_clear_empties_the_cache()
    {
        var request = new { text = "El gato duerme en la casa azul.", direction = "es-da" };
        var first = await (await Server.TranslateAsync(request)).JsonAsync(HttpStatusCode.OK);
        var second = await (await Server.TranslateAsync(request)).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(first.GetProperty("translation").GetString(), second.GetProperty("translation").GetString());
        Assert.Equal(second.GetProperty("segments").GetInt32(), second.GetProperty("cache_hits").GetInt32());
        Assert.Contains("\"cache_hit\":true", Server.Logs.Text, StringComparison.Ordinal);

        var info = await (await Server.Client.GetAsync("/info")).JsonAsync(HttpStatusCode.OK);
        Assert.True(info.GetProperty("cache").GetProperty("hits").GetInt64() >= 1);
        Assert.True(info.GetProperty("cache").GetProperty("entries").GetInt64() >= 1);

        var cleared = await (await Server.Client.PostAsync("/cache/clear", null)).JsonAsync(HttpStatusCode.OK);
        Assert.True(cleared.GetProperty("cleared_entries").GetInt64() >= 1);
        Assert.Equal(0, cleared.GetProperty("cache").GetProperty("entries").GetInt64());
        var third = await (await Server.TranslateAsync(request)).JsonAsync(HttpStatusCode.OK);
        Assert.Equal(0, third.GetProperty("cache_hits").GetInt32());
    }

    [ModelFact]
    public async Task A_small_output_budget_is_flagged_never_silent()
    {
        var json = await (await Server.TranslateAsync(new { text = "Esta frase es bastante larga para un solo token de salida.", direction = "es-da", max_new_tokens = 1, beam_size = 1 }))
            .JsonAsync(HttpStatusCode.OK);
        Assert.True(json.GetProperty("hit_token_budget").GetBoolean());
        Assert.True(json.GetProperty("output_tokens").GetInt32() <= 1);
    }

    [ModelFact]
    public async Task Info_has_uptime_cache_limits_configuration_model_engine_and_version()
    {
        var json = await (await Server.Client.GetAsync("/info")).JsonAsync(HttpStatusCode.OK);
        Assert.Equal("traductor", json.GetProperty("service").GetString());
        Assert.Matches(@"^\d+\.\d+\.\d+", json.GetProperty("version").GetString());
        Assert.True(json.GetProperty("uptime_seconds").GetDouble() > 0);
        foreach (var field in new[] { "entries", "bytes", "hits", "misses", "hit_rate", "evictions", "max_entries", "max_bytes" })
            Assert.True(json.GetProperty("cache").TryGetProperty(field, out _), field);
        var limits = json.GetProperty("limits");
        Assert.Equal(200, limits.GetProperty("max_input_tokens").GetInt32());
        Assert.Equal(64, limits.GetProperty("max_max_new_tokens").GetInt32());
        var configuration = json.GetProperty("configuration");
        foreach (var name in new[] { "MODEL_PATH", "MAX_INPUT_TOKENS", "DEFAULT_MAX_NEW_TOKENS", "MAX_MAX_NEW_TOKENS", "REQUEST_TIMEOUT", "MAX_BATCH_SIZE",
                     "CT2_INTER_THREADS", "CT2_INTRA_THREADS", "BEAM_SIZE", "LOG_TRANSLATIONS", "LOG_LEVEL", "HOST", "PORT" })
            Assert.True(configuration.TryGetProperty(name, out _), name);
        var model = json.GetProperty("model");
        Assert.True(model.GetProperty("loaded").GetBoolean());
        Assert.Equal(Path.GetFullPath(TestEnvironment.TinyModel), model.GetProperty("path").GetString());
        Assert.False(model.GetProperty("smoke_model").GetBoolean());
        Assert.Equal(JsonValueKind.Object, model.GetProperty("engine").ValueKind);
        Assert.Contains("es-da", model.GetProperty("directions").EnumerateArray().Select(d => d.GetString()));
        Assert.False(string.IsNullOrEmpty(json.GetProperty("engine").GetProperty("native_version").GetString()));
        Assert.Equal(1u, json.GetProperty("engine").GetProperty("abi_version").GetUInt32());
    }

    [ModelFact]
    public async Task Languages_lists_spanish_and_danish_with_targets()
    {
        var json = await (await Server.Client.GetAsync("/languages")).JsonAsync(HttpStatusCode.OK);
        var languages = json.EnumerateArray().ToDictionary(l => l.GetProperty("code").GetString()!, l => l);
        Assert.Equal(["da", "es"], languages.Keys.Order());
        Assert.Equal("spa_Latn", languages["es"].GetProperty("nllb_code").GetString());
        Assert.Equal(["da"], languages["es"].GetProperty("targets").EnumerateArray().Select(t => t.GetString()));
    }

    [ModelFact]
    public async Task Openapi_document_describes_the_endpoints()
    {
        var json = await (await Server.Client.GetAsync("/openapi/v1.json")).JsonAsync(HttpStatusCode.OK);
        var paths = json.GetProperty("paths");
        foreach (var path in new[] { "/translate", "/health", "/info", "/languages", "/cache/clear" })
            Assert.True(paths.TryGetProperty(path, out _), path);
        var body = paths.GetProperty("/translate").GetProperty("post").GetProperty("requestBody").GetProperty("content");
        Assert.True(body.TryGetProperty("application/json", out _));
    }

    [ModelFact]
    public async Task Metrics_expose_the_series_operators_alert_on()
    {
        await (await Server.TranslateAsync(new { text = "Métricas, por favor.", direction = "es-da" })).JsonAsync(HttpStatusCode.OK);
        var response = await Server.Client.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains("# TYPE traductor_request_duration_ms histogram", text, StringComparison.Ordinal);
        Assert.True(MetricValue(text, "traductor_request_duration_ms_count", "endpoint=\"/translate\",status=\"200\"") >= 1);
        var rss = MetricValue(text, "process_resident_memory_bytes", null);
        Assert.InRange(rss, 10e6, 8e9);
        Assert.Equal(1, MetricValue(text, "traductor_model_loaded", null));
        Assert.Equal(0, MetricValue(text, "traductor_queue_depth", null));
        Assert.InRange(MetricValue(text, "traductor_cache_hit_rate", null), 0, 1);
        Assert.True(MetricValue(text, "traductor_tokens_per_second", null) >= 0);
        Assert.True(MetricValue(text, "traductor_generated_tokens_total", null) > 0);
        Assert.Contains("traductor_cache_entries", text, StringComparison.Ordinal);
    }

    [ModelFact]
    public async Task Every_response_has_security_headers_and_no_server_banner()
    {
        using var ok = await Server.Client.GetAsync("/languages");
        using var bad = await Server.PostJsonAsync("/translate", "{");
        using var missing = await Server.Client.GetAsync("/no/such/thing");
        using var metrics = await Server.Client.GetAsync("/metrics");
        foreach (var response in new[] { ok, bad, missing, metrics })
            AssertSecurityHeaders(response);
    }

    [ModelFact]
    public async Task Unknown_paths_and_methods_get_json_errors()
    {
        await (await Server.Client.GetAsync("/nothing-here")).ErrorAsync(HttpStatusCode.NotFound, "not_found");
        await (await Server.Client.GetAsync("/translate")).ErrorAsync(HttpStatusCode.MethodNotAllowed, "method_not_allowed");
        await (await Server.Client.DeleteAsync("/health")).ErrorAsync(HttpStatusCode.MethodNotAllowed, "method_not_allowed");
    }

    internal static void AssertSecurityHeaders(HttpResponseMessage response)
    {
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Contains("default-src 'none'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.False(response.Headers.Contains("Server"));
    }

    /// <summary>The value of one Prometheus sample; <paramref name="labels"/> null means the unlabelled series.</summary>
    internal static double MetricValue(string exposition, string name, string? labels)
    {
        var pattern = labels is null ? $"^{Regex.Escape(name)} (\\S+)$" : $"^{Regex.Escape(name)}\\{{{Regex.Escape(labels)}(,[^}}]*)?\\}} (\\S+)$";
        var match = Regex.Match(exposition, pattern, RegexOptions.Multiline);
        Assert.True(match.Success, $"no sample {name}{{{labels}}} in /metrics");
        return double.Parse(match.Groups[match.Groups.Count - 1].Value, CultureInfo.InvariantCulture);
    }
}
