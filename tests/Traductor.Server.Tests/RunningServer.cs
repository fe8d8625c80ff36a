using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Traductor.Core;
using Traductor.Server.Hosting;
using Traductor.Server.Settings;

namespace Traductor.Server.Tests;

/// <summary>
/// The real service on a real Kestrel at 127.0.0.1 (port chosen by the OS), serving the golden tiny
/// model, with its log lines captured.
/// </summary>
internal sealed class RunningServer : IAsyncDisposable
{
    private RunningServer(WebApplication app, LogCapture logs, ServerSettings settings)
    {
        App = app;
        Logs = logs;
        Settings = settings;
        BaseAddress = new Uri(app.Urls.Single());
        Client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(120) };
    }

    public WebApplication App { get; }

    public LogCapture Logs { get; }

    public ServerSettings Settings { get; }

    public Uri BaseAddress { get; }

    public HttpClient Client { get; }

    public ModelState Model => App.Services.GetRequiredService<ModelState>();

    /// <summary>The settings every test server starts from: the tiny model, loopback, one engine replica.</summary>
    public static Dictionary<string, string?> BaseEnvironment() => new(StringComparer.Ordinal)
    {
        ["MODEL_PATH"] = TestEnvironment.TinyModel,
        ["TOKENIZER_PATH"] = TestEnvironment.Tokenizer,
        ["HOST"] = "127.0.0.1",
        ["PORT"] = "0",
        ["CT2_INTER_THREADS"] = "1",
        ["CT2_INTRA_THREADS"] = "1",
        ["LOG_LEVEL"] = "INFO",
        ["SHUTDOWN_TIMEOUT"] = "10",
    };

    public static async Task<RunningServer> StartAsync(
        IReadOnlyDictionary<string, string?>? overrides = null,
        Func<TranslationServiceOptions, TranslationService>? load = null,
        bool waitUntilReady = true)
    {
        var environment = BaseEnvironment();
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
            environment[key] = value;
        var settings = SettingsLoader.Read(key => environment.GetValueOrDefault(key));
        var logs = new LogCapture();
        var app = ServerApp.Create(settings, new ServerHostingOptions { LogOutput = logs, LoadModel = load });
        await app.StartAsync();
        var server = new RunningServer(app, logs, settings);
        if (waitUntilReady)
            await server.WaitForModelAsync();
        return server;
    }

    public async Task WaitForModelAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (Model.Status == ModelStatus.Loading && DateTime.UtcNow < deadline)
            await Task.Delay(20);
        Assert.True(Model.Status == ModelStatus.Ready, $"model did not load: {Model.Status} {Model.FailureReason}");
    }

    public Task<HttpResponseMessage> PostJsonAsync(string path, string json, CancellationToken cancellationToken = default) =>
        Client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"), cancellationToken);

    /// <summary>
    /// Posts raw bytes. Large bodies go with <c>Expect: 100-continue</c>, as curl sends them: a server
    /// that refuses the size answers before the body is sent, instead of resetting a half-sent upload.
    /// </summary>
    public Task<HttpResponseMessage> PostBytesAsync(string path, byte[] body, string? contentType = "application/json")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        if (contentType is not null)
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (body.Length > 1 << 20)
            request.Headers.ExpectContinue = true;
        return Client.SendAsync(request);
    }

    public Task<HttpResponseMessage> TranslateAsync(object request) => PostJsonAsync("/translate", JsonSerializer.Serialize(request));

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}

/// <summary>Reading responses in tests.</summary>
internal static class ResponseAssertions
{
    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"expected {(int)expected}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.Clone();
    }

    /// <summary>Asserts the service's error shape <c>{"error":{"code","message"}}</c> with this status and code.</summary>
    public static async Task<string> ErrorAsync(this HttpResponseMessage response, HttpStatusCode expected, string code)
    {
        var json = await response.JsonAsync(expected);
        var error = json.GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetString());
        var message = error.GetProperty("message").GetString();
        Assert.False(string.IsNullOrWhiteSpace(message));
        return message!;
    }
}
