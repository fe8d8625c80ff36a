using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Traductor.Server.Tests;

/// <summary>With LOG_TRANSLATIONS=false no text reaches the logs, whatever path a request takes.</summary>
public sealed class LogPrivacyTests
{
    private const string Marker = "ZQXJMARKER";

    /// <summary>Drives every endpoint and every error path with the marker in the text, the URL, headers and option values.</summary>
    private static async Task DriveEverythingAsync(RunningServer server)
    {
        var text = $"Hola {Marker} amigo. Otra frase con {Marker}.";
        async Task Send(Func<Task<HttpResponseMessage>> send)
        {
            using var response = await send();
            await response.Content.ReadAsStringAsync();
        }

        await Send(() => server.TranslateAsync(new { text, direction = "es-da" }));
        await Send(() => server.TranslateAsync(new { text, direction = "es-da" }));                    // cache hit
        await Send(() => server.TranslateAsync(new { texts = new[] { text, Marker }, direction = "da-es" }));
        await Send(() => server.TranslateAsync(new { text, direction = Marker }));
        await Send(() => server.TranslateAsync(new { text, source_lang = Marker, target_lang = "da" }));
        await Send(() => server.TranslateAsync(new { text = $"{Marker}\u0000", direction = "es-da" }));
        await Send(() => server.TranslateAsync(new { text, direction = "es-da", max_new_tokens = 100_000 }));
        await Send(() => server.TranslateAsync(new { text, direction = "es-da", beam_size = Marker }));
        await Send(() => server.TranslateAsync(new { text = string.Join(" ", Enumerable.Repeat(Marker, 2000)), direction = "es-da" }));
        await Send(() => server.TranslateAsync(new { text, direction = "es-da", max_new_tokens = 1 }));
        await Send(() => server.PostJsonAsync("/translate", $"{{\"text\": \"{Marker}\", \"direction\": {Marker}}}"));
        await Send(() => server.PostJsonAsync("/translate", $"{{\"text\": \"{Marker}"));
        await Send(() => server.PostJsonAsync("/translate", new string('[', 100) + $"\"{Marker}\"" + new string(']', 100)));
        await Send(() => server.PostBytesAsync("/translate", [.. Encoding.UTF8.GetBytes($"{{\"text\": \"{Marker}"), 0xFF, .. "\"}"u8]));
        await Send(() => server.PostBytesAsync("/translate", Encoding.UTF8.GetBytes($"text={Marker}"), "application/x-www-form-urlencoded"));
        await Send(() => server.PostBytesAsync("/translate", Encoding.UTF8.GetBytes(new string('x', 300_000) + Marker)));
        await Send(() => server.Client.GetAsync($"/translate?text={Marker}"));
        await Send(() => server.Client.GetAsync($"/{Marker}?q={Marker}"));
        await Send(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, $"/translate?{Marker}=1") { Content = new StringContent(JsonSerializer.Serialize(new { text, direction = "es-da" })) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Add("X-Text", Marker);
            request.Headers.UserAgent.ParseAdd(Marker);
            return server.Client.SendAsync(request);
        });
        await Send(() => server.Client.GetAsync("/health"));
        await Send(() => server.Client.GetAsync("/info"));
        await Send(() => server.Client.GetAsync("/languages"));
        await Send(() => server.Client.GetAsync("/metrics"));
        await Send(() => server.Client.GetAsync("/openapi/v1.json"));
        await Send(() => server.Client.PostAsync("/cache/clear", null));
    }

    [ModelFact]
    public async Task With_log_translations_false_the_marker_never_reaches_the_logs()
    {
        var logs = await RunAsync(logTranslations: false);
        Assert.DoesNotContain(Marker, logs, StringComparison.Ordinal);
        Assert.Contains("\"message\":\"Translation completed\"", logs, StringComparison.Ordinal);
        Assert.Contains("\"message\":\"Translation refused\"", logs, StringComparison.Ordinal);
    }

    [ModelFact]
    public async Task With_log_translations_true_the_text_is_logged_so_the_capture_is_real()
    {
        var logs = await RunAsync(logTranslations: true);
        Assert.Contains(Marker, logs, StringComparison.Ordinal);
    }

    [ModelFact]
    public async Task The_translation_completed_line_has_the_handbook_fields()
    {
        await using var server = await RunningServer.StartAsync(ReadyServerFixture.Limits);
        await (await server.TranslateAsync(new { text = "Una frase corta.", direction = "es-da" })).JsonAsync(System.Net.HttpStatusCode.OK);
        var line = server.Logs.Lines.Single(l => l.GetProperty("message").GetString() == "Translation completed");
        Assert.Equal("INFO", line.GetProperty("level").GetString());
        Assert.True(DateTimeOffset.TryParse(line.GetProperty("timestamp").GetString(), out _));
        Assert.True(line.GetProperty("latency_ms").GetInt64() >= 0);
        Assert.Equal("Una frase corta.".Length, line.GetProperty("input_length").GetInt32());
        Assert.True(line.GetProperty("output_length").GetInt32() > 0);
        Assert.Equal("es-da", line.GetProperty("direction").GetString());
        Assert.False(line.GetProperty("cache_hit").GetBoolean());
        Assert.False(line.TryGetProperty("input_text", out _));
    }

    private static async Task<string> RunAsync(bool logTranslations)
    {
        var settings = new Dictionary<string, string?>(ReadyServerFixture.Limits)
        {
            ["LOG_TRANSLATIONS"] = logTranslations ? "true" : "false",
            ["LOG_LEVEL"] = "DEBUG",
        };
        string logs;
        await using (var server = await RunningServer.StartAsync(settings))
        {
            await DriveEverythingAsync(server);
            logs = server.Logs.Text;
        }
        Assert.NotEmpty(logs);
        return logs;
    }
}
