using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Traductor.Deploy.Tests.Infrastructure;

namespace Traductor.Deploy.Tests;

/// <summary>deploy/nginx/traductor.conf: `nginx -t`, its values against the service's limits, and the
/// behaviour of a running nginx with this file when no instance is up.</summary>
public sealed partial class NginxConfigTests
{
    private static readonly string Config = File.ReadAllText(NginxSetup.ConfigPath);

    private readonly ITestOutputHelper _output;

    public NginxConfigTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void NginxTestPasses()
    {
        using var nginx = new NginxSetup([FreePort.Next(), FreePort.Next()]);
        var result = nginx.Test();
        _output.WriteLine(result.Describe());
        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Contains("test is successful", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public void NginxTestRejectsABrokenConfig()
    {
        using var nginx = new NginxSetup([FreePort.Next(), FreePort.Next()], Config.Replace("proxy_read_timeout 310s;", "proxy_read_timeout 310s", StringComparison.Ordinal));
        var result = nginx.Test();
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("emerg", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadTimeoutIsJustAboveRequestTimeout()
    {
        // The service answers 504 itself at REQUEST_TIMEOUT; nginx must wait a little longer, not less.
        var requestTimeout = int.Parse(EnvExample.Defaults()["REQUEST_TIMEOUT"], CultureInfo.InvariantCulture);
        var read = Seconds("proxy_read_timeout");
        Assert.InRange(read, requestTimeout + 1, requestTimeout + 60);
    }

    [Fact]
    public void BodyLimitMatchesTheService()
    {
        var serviceLimit = EnvExample.Defaults()["MAX_REQUEST_BYTES"];
        Assert.Equal(serviceLimit.ToLowerInvariant(), Directive("client_max_body_size"));
        // Kept in memory: request text never lands in a temporary file.
        Assert.Equal(Directive("client_max_body_size"), Directive("client_body_buffer_size"));
    }

    [Fact]
    public void UpstreamHasPassiveHealthChecksOnSeveralInstances()
    {
        var servers = UpstreamServer().Matches(Config);
        Assert.True(servers.Count >= 2, "the upstream needs several instances");
        foreach (Match server in servers)
        {
            Assert.Contains("max_fails=", server.Value, StringComparison.Ordinal);
            Assert.Contains("fail_timeout=", server.Value, StringComparison.Ordinal);
        }
        Assert.Equal("2s", Directive("proxy_connect_timeout"));
    }

    [Fact]
    public void FailedAttemptsAreRetriedIncludingPost()
    {
        var conditions = Directive("proxy_next_upstream").Split(' ');
        Assert.Contains("error", conditions);
        Assert.Contains("http_503", conditions);
        // POST /translate has no side effects; without this nginx never retries a POST.
        Assert.Contains("non_idempotent", conditions);
        Assert.DoesNotContain("http_504", conditions);
        Assert.Equal("on", Directive("proxy_request_buffering"));
    }

    [Fact]
    public void TlsServerBlockIsTheHandbooksWithModernSettings()
    {
        Assert.Contains("listen 443 ssl", Config, StringComparison.Ordinal);
        Assert.Contains("server_name traducciones.internal.company.com;", Config, StringComparison.Ordinal);
        Assert.Contains("proxy_pass http://traductor;", Config, StringComparison.Ordinal);
        Assert.Contains("proxy_set_header Host $host;", Config, StringComparison.Ordinal);
        Assert.Contains("proxy_set_header X-Real-IP $remote_addr;", Config, StringComparison.Ordinal);
        Assert.Equal("TLSv1.2 TLSv1.3", Directive("ssl_protocols"));
        // Both server blocks: no version in the Server header or on error pages.
        Assert.Equal(["off", "off"], Directives("server_tokens"));
    }

    [Fact]
    public async Task RunningNginxAnswersJsonWhenNoInstanceIsUp()
    {
        using var nginx = new NginxSetup([FreePort.Next(), FreePort.Next()]);
        nginx.Start();
        using var client = InsecureLoopbackClient();
        var https = $"https://127.0.0.1:{nginx.HttpsPort}";

        using var translate = await client.PostAsync(new Uri($"{https}/translate"), Json("""{"text":"Hola","direction":"es-da"}"""));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, translate.StatusCode);
        Assert.Equal("unavailable", await ErrorCode(translate));
        Assert.Equal("5", translate.Headers.RetryAfter?.Delta?.TotalSeconds.ToString(CultureInfo.InvariantCulture));

        using var metrics = await client.GetAsync(new Uri($"{https}/metrics"));
        Assert.Equal(HttpStatusCode.Forbidden, metrics.StatusCode);
        using var clear = await client.PostAsync(new Uri($"{https}/cache/clear"), Json("{}"));
        Assert.Equal(HttpStatusCode.Forbidden, clear.StatusCode);
        Assert.Equal("forbidden", await ErrorCode(clear));

        using var tooLarge = await client.PostAsync(new Uri($"{https}/translate"), Json("{\"text\":\"" + new string('a', 3 << 20) + "\"}"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Equal("request_too_large", await ErrorCode(tooLarge));

        using var plain = await client.PostAsync(new Uri($"http://127.0.0.1:{nginx.HttpPort}/translate"), Json("{}"));
        Assert.Equal(HttpStatusCode.PermanentRedirect, plain.StatusCode);
        Assert.StartsWith("https://", plain.Headers.Location?.ToString(), StringComparison.Ordinal);
        Assert.False(translate.Headers.Contains("Server") && translate.Headers.GetValues("Server").Any(v => v.Contains('/', StringComparison.Ordinal)), "nginx must not announce its version");
    }

    internal static HttpClient InsecureLoopbackClient() => new(new SocketsHttpHandler
    {
        // The test certificate is self-signed and made for this run; only loopback is ever contacted.
        SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        AllowAutoRedirect = false,
        PooledConnectionLifetime = TimeSpan.FromSeconds(30),
    })
    { Timeout = TimeSpan.FromSeconds(60) };

    internal static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task<string?> ErrorCode(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return doc.RootElement.GetProperty("error").GetProperty("code").GetString();
    }

    private static string Directive(string name)
    {
        var values = Directives(name);
        Assert.True(values.Count == 1, $"expected one {name} directive, found {values.Count}");
        return values[0];
    }

    private static List<string> Directives(string name) =>
        Regex.Matches(Config, $@"(?m)^\s*{Regex.Escape(name)}\s+([^;]+);").Select(m => m.Groups[1].Value.Trim()).ToList();

    private static int Seconds(string name) => int.Parse(Directive(name).TrimEnd('s'), CultureInfo.InvariantCulture);

    [GeneratedRegex(@"(?m)^\s*server\s+127\.0\.0\.1:\d+[^;]*;")]
    private static partial Regex UpstreamServer();
}
