using System.Text.RegularExpressions;
using Traductor.Core;
using Traductor.Deploy.Tests.Infrastructure;
using Traductor.Server;
using Traductor.Server.Settings;

namespace Traductor.Deploy.Tests;

/// <summary>deploy/prometheus: promtool checks the rules and the scrape config and runs the alert unit tests.</summary>
public sealed class PrometheusRulesTests
{
    private static readonly string Dir = RepoPaths.File("deploy", "prometheus");

    private readonly ITestOutputHelper _output;

    public PrometheusRulesTests(ITestOutputHelper output) => _output = output;

    private static string Promtool => Tool.Require("promtool", "Debian's prometheus package");

    [Fact]
    public void RulesPassPromtoolCheck()
    {
        var result = Tool.Succeed(Promtool, ["check", "rules", "traductor-rules.yml"], Dir);
        _output.WriteLine(result.Describe());
        Assert.Contains("SUCCESS: 8 rules found", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void ScrapeConfigPassesPromtoolCheck()
    {
        var result = Tool.Succeed(Promtool, ["check", "config", "prometheus.yml"], Dir);
        _output.WriteLine(result.Describe());
        Assert.Contains("SUCCESS", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryAlertHasPassingUnitTests()
    {
        var result = Tool.Succeed(Promtool, ["test", "rules", "traductor-rules.test.yml"], Dir);
        _output.WriteLine(result.Describe());
        var rules = File.ReadAllLines(Path.Combine(Dir, "traductor-rules.yml"))
            .Select(l => l.Trim()).Where(l => l.StartsWith("- alert: ", StringComparison.Ordinal)).Select(l => l["- alert: ".Length..]).ToList();
        var tests = File.ReadAllText(Path.Combine(Dir, "traductor-rules.test.yml"));
        Assert.Equal(8, rules.Count);
        foreach (var alert in rules)
        {
            // Each alert is tested both ways: an expected firing and an expected silence.
            Assert.Contains($"alertname: {alert}\n        exp_alerts: []", tests, StringComparison.Ordinal);
            Assert.Contains($"alertname: {alert}\n        exp_alerts:\n          - exp_labels:", tests, StringComparison.Ordinal);
        }
        foreach (var handbook in new[] { "TraductorDown", "TraductorHighLatency", "TraductorHighMemory" })
            Assert.Contains(handbook, rules);
    }

    [Fact]
    public void UnitTestsFailWhenARuleIsWrong()
    {
        // The control: the same tests against rules with the memory threshold moved must fail.
        using var dir = new TempDirectory("promtool");
        File.WriteAllText(Path.Combine(dir.Path, "traductor-rules.yml"),
            File.ReadAllText(Path.Combine(Dir, "traductor-rules.yml")).Replace("/ 1024 / 1024 / 1024 > 12", "/ 1024 / 1024 / 1024 > 14", StringComparison.Ordinal));
        File.Copy(Path.Combine(Dir, "traductor-rules.test.yml"), Path.Combine(dir.Path, "traductor-rules.test.yml"));
        var result = Tool.Run(Promtool, ["test", "rules", "traductor-rules.test.yml"], dir.Path);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("alertname: TraductorHighMemory", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RulesUseTheSeriesTheServiceExports()
    {
        // The real service (in-process Kestrel on 127.0.0.1) with a model load that fails: the series
        // exist from start-up, so their names and labels can be compared with what the rules select.
        using var model = new TempDirectory("model");
        var settings = SettingsLoader.Read(name => name switch { "MODEL_PATH" => model.Path, "PORT" => "0", _ => null });
        var app = ServerApp.Create(settings, new ServerHostingOptions
        {
            LogOutput = TextWriter.Null,
            LoadModel = _ => throw new ModelLoadException("no model in this test"),
        });
        await using (app.ConfigureAwait(false))
        {
            await app.StartAsync();
            using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
            using var health = await client.GetAsync(new Uri("/health", UriKind.Relative));
            Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, health.StatusCode);
            var exposition = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
            await app.StopAsync();

            // Expressions and annotations, not the comments.
            var rules = string.Join('\n', File.ReadAllLines(Path.Combine(Dir, "traductor-rules.yml")).Where(l => !l.TrimStart().StartsWith('#')));
            var used = Regex.Matches(rules, @"\b(?:traductor_[a-z_]+|process_resident_memory_bytes)\b").Select(m => m.Value).ToHashSet(StringComparer.Ordinal);
            Assert.True(used.Count >= 8, string.Join(", ", used));
            foreach (var series in used)
                Assert.True(Regex.IsMatch(exposition, $@"(?m)^{series}(\{{|\s)"), $"the rules use {series}, which /metrics does not export:\n{exposition}");
            Assert.Matches(@"(?m)^traductor_request_duration_ms_count\{endpoint=""/health"",status=""503""\}", exposition);
            Assert.Matches(@"(?m)^traductor_requests_total\{endpoint=""/health"",status=""503"",direction=""none""\}", exposition);
        }
    }
}
