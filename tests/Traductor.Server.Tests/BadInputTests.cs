using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Traductor.Server.Metrics;

namespace Traductor.Server.Tests;

/// <summary>Hostile and broken requests: each gets its 4xx JSON error, the process stays healthy and memory bounded.</summary>
public sealed class BadInputTests(ReadyServerFixture fixture) : IClassFixture<ReadyServerFixture>
{
    private RunningServer Server => fixture.Server;

    public static TheoryData<string, string> MalformedBodies => new()
    {
        { "{", "invalid_json" },
        { "{\"text\": \"hola\", }", "invalid_json" },
        { "{\"text\": 'hola', \"direction\": \"es-da\"}", "invalid_json" },
        { "{\"text\": \"ho\u0001la\", \"direction\": \"es-da\"}", "invalid_json" },
        { "", "invalid_json" },
        { "null", "invalid_request" },
        { "[\"hola\"]", "invalid_request" },
        { "\"hola\"", "invalid_request" },
        { "{\"direction\": \"es-da\"}", "missing_text" },
        { "{\"text\": 42, \"direction\": \"es-da\"}", "invalid_text" },
        { "{\"text\": {\"a\": 1}, \"direction\": \"es-da\"}", "invalid_text" },
        { "{\"text\": [\"uno\", 2], \"direction\": \"es-da\"}", "invalid_text" },
        { "{\"texts\": \"uno\", \"direction\": \"es-da\"}", "invalid_text" },
        { "{\"text\": \"uno\", \"texts\": [\"dos\"], \"direction\": \"es-da\"}", "invalid_request" },
        { "{\"text\": \"\", \"direction\": \"es-da\"}", "empty_text" },
        { "{\"text\": \" \\n\\t \", \"direction\": \"es-da\"}", "empty_text" },
        { "{\"texts\": [], \"direction\": \"es-da\"}", "empty_text" },
        { "{\"text\": \"hola\"}", "missing_direction" },
        { "{\"text\": \"hola\", \"direction\": \"es-fr\"}", "unknown_direction" },
        { "{\"text\": \"hola\", \"direction\": 1}", "unknown_direction" },
        { "{\"text\": \"hola\", \"source_lang\": \"es\", \"target_lang\": \"es\"}", "unknown_direction" },
        { "{\"text\": \"hola\\u0000mundo\", \"direction\": \"es-da\"}", "invalid_text" },
        { "{\"text\": \"hola\\u001bmundo\", \"direction\": \"es-da\"}", "invalid_text" },
        { "{\"text\": \"hola\\ud800mundo\", \"direction\": \"es-da\"}", "invalid_text" },
        { "{\"text\": \"hola\", \"direction\": \"es-da\", \"max_new_tokens\": \"10\"}", "invalid_request" },
        { "{\"text\": \"hola\", \"direction\": \"es-da\", \"beam_size\": true}", "invalid_request" },
    };

    [ModelTheory]
    [MemberData(nameof(MalformedBodies))]
    public async Task Malformed_requests_get_400_with_their_code(string body, string code)
    {
        await (await Server.PostJsonAsync("/translate", body)).ErrorAsync(HttpStatusCode.BadRequest, code);
    }

    [ModelTheory]
    [InlineData("{\"text\": \"hola\", \"direction\": \"es-da\", \"max_new_tokens\": 0}")]
    [InlineData("{\"text\": \"hola\", \"direction\": \"es-da\", \"max_new_tokens\": 65}")]
    [InlineData("{\"text\": \"hola\", \"direction\": \"es-da\", \"max_new_tokens\": 1e30}")]
    [InlineData("{\"text\": \"hola\", \"direction\": \"es-da\", \"max_new_tokens\": 2.5}")]
    [InlineData("{\"text\": \"hola\", \"direction\": \"es-da\", \"beam_size\": 5}")]
    [InlineData("{\"text\": \"hola\", \"direction\": \"es-da\", \"beam_size\": -1}")]
    public async Task Options_out_of_range_get_422(string body)
    {
        var message = await (await Server.PostJsonAsync("/translate", body)).ErrorAsync(HttpStatusCode.UnprocessableEntity, "invalid_option");
        Assert.Matches("MAX_MAX_NEW_TOKENS|MAX_BEAM_SIZE", message);
    }

    [ModelTheory]
    [InlineData(null)]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/json; charset=latin1")]
    public async Task Non_json_media_types_get_415(string? contentType)
    {
        var body = Encoding.UTF8.GetBytes("{\"text\": \"hola\", \"direction\": \"es-da\"}");
        await (await Server.PostBytesAsync("/translate", body, contentType)).ErrorAsync(HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
    }

    [ModelFact]
    public async Task Json_with_a_suffix_media_type_and_charset_is_accepted()
    {
        var body = Encoding.UTF8.GetBytes("{\"text\": \"hola\", \"direction\": \"es-da\"}");
        await (await Server.PostBytesAsync("/translate", body, "application/vnd.traductor+json; charset=UTF-8")).JsonAsync(HttpStatusCode.OK);
    }

    [ModelFact]
    public async Task Invalid_utf8_gets_400()
    {
        byte[] body = [.. "{\"text\": \"ho"u8, 0xC3, 0x28, .. "la\", \"direction\": \"es-da\"}"u8];
        var message = await (await Server.PostBytesAsync("/translate", body)).ErrorAsync(HttpStatusCode.BadRequest, "invalid_utf8");
        Assert.Contains("offset 12", message, StringComparison.Ordinal);
        byte[] overlong = [.. "{\"text\": \""u8, 0xC0, 0xAF, .. "\", \"direction\": \"es-da\"}"u8];
        await (await Server.PostBytesAsync("/translate", overlong)).ErrorAsync(HttpStatusCode.BadRequest, "invalid_utf8");
    }

    [ModelFact]
    public async Task Deeply_nested_json_gets_400()
    {
        var deep = new string('[', 100_000) + new string(']', 100_000);
        await (await Server.PostJsonAsync("/translate", deep)).ErrorAsync(HttpStatusCode.BadRequest, "invalid_json");
        var nestedText = "{\"direction\":\"es-da\",\"text\":" + new string('[', 40) + "\"x\"" + new string(']', 40) + "}";
        await (await Server.PostJsonAsync("/translate", nestedText)).ErrorAsync(HttpStatusCode.BadRequest, "invalid_json");
    }

    [ModelFact]
    public async Task Too_many_texts_get_413()
    {
        var body = System.Text.Json.JsonSerializer.Serialize(new { texts = Enumerable.Repeat("hola", 9), direction = "es-da" });
        await (await Server.PostJsonAsync("/translate", body)).ErrorAsync(HttpStatusCode.RequestEntityTooLarge, "too_many_texts");
    }

    [ModelFact]
    public async Task Text_over_max_input_tokens_gets_413_never_cut()
    {
        var longText = string.Join(" ", Enumerable.Range(0, 400).Select(i => $"palabra{i}"));
        var message = await (await Server.TranslateAsync(new { text = longText, direction = "es-da" })).ErrorAsync(HttpStatusCode.RequestEntityTooLarge, "input_too_long");
        Assert.DoesNotContain("palabra", message, StringComparison.Ordinal);
    }

    private static byte[] SingleTokenBody(int tokenBytes)
    {
        var token = new byte[tokenBytes];
        Array.Fill(token, (byte)'a');
        return [.. "{\"direction\":\"es-da\",\"text\":\""u8, .. token, .. "\"}"u8];
    }

    [ModelFact]
    public async Task A_10_MB_single_token_gets_413_before_its_body_is_read()
    {
        await (await Server.PostBytesAsync("/translate", SingleTokenBody(10 << 20))).ErrorAsync(HttpStatusCode.RequestEntityTooLarge, "body_too_large");
    }

    [ModelFact]
    public async Task A_chunked_body_over_the_limit_gets_413_once_the_limit_is_crossed()
    {
        // No Content-Length to judge by: the server reads up to MAX_REQUEST_BYTES (256 KiB here), then refuses.
        using var chunked = new HttpRequestMessage(HttpMethod.Post, "/translate") { Content = new StreamContent(new MemoryStream(SingleTokenBody(400 << 10))) };
        chunked.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        chunked.Headers.TransferEncodingChunked = true;
        await (await Server.Client.SendAsync(chunked)).ErrorAsync(HttpStatusCode.RequestEntityTooLarge, "body_too_large");
    }

    [ModelFact]
    public async Task A_10_MB_chunked_upload_is_cut_off_and_the_service_carries_on()
    {
        // A client that insists on sending 10 MB without waiting gets its 413 or, once the server stops
        // reading, a closed connection; either way nothing beyond the limit is buffered.
        using var chunked = new HttpRequestMessage(HttpMethod.Post, "/translate") { Content = new StreamContent(new MemoryStream(SingleTokenBody(10 << 20))) };
        chunked.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        chunked.Headers.TransferEncodingChunked = true;
        try
        {
            using var response = await Server.Client.SendAsync(chunked);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        }
        catch (HttpRequestException)
        {
        }
        await (await Server.Client.GetAsync("/languages")).JsonAsync(HttpStatusCode.OK);
    }

    [ModelFact]
    public async Task A_large_single_token_under_the_body_limit_is_refused_by_the_token_limit()
    {
        var token = new string('a', 200_000);
        await (await Server.TranslateAsync(new { text = token, direction = "es-da" })).ErrorAsync(HttpStatusCode.RequestEntityTooLarge, "input_too_long");
    }

    [ModelFact]
    public async Task After_a_barrage_of_bad_input_the_process_is_healthy_and_memory_bounded()
    {
        var big = new byte[4 << 20];
        Array.Fill(big, (byte)'[');
        var before = ResidentMemory.Bytes();
        for (var round = 0; round < 20; round++)
        {
            using var tooBig = await Server.PostBytesAsync("/translate", big);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooBig.StatusCode);
            using var deep = await Server.PostJsonAsync("/translate", new string('[', 200_000));
            Assert.Equal(HttpStatusCode.BadRequest, deep.StatusCode);
            using var tokens = await Server.TranslateAsync(new { text = new string('b', 100_000), direction = "es-da" });
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tokens.StatusCode);
        }
        GC.Collect();
        var growth = ResidentMemory.Bytes() - before;
        Assert.True(growth < 300L << 20, $"resident memory grew by {growth >> 20} MiB over 60 refused requests");
        var health = await (await Server.Client.GetAsync("/health")).JsonAsync(HttpStatusCode.OK);
        Assert.True(health.GetProperty("model_loaded").GetBoolean());
        await (await Server.TranslateAsync(new { text = "Sigo funcionando.", direction = "es-da" })).JsonAsync(HttpStatusCode.OK);
    }
}
