using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Traductor.Server.Tests;

/// <summary>`traductor serve` as operators run it: a real process, settings from its environment, SIGTERM to stop.</summary>
public sealed partial class ServeCommandTests
{
    private static Process Start(IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(TestEnvironment.CliAssembly);
        info.ArgumentList.Add("serve");
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        foreach (var (key, value) in environment)
            info.Environment[key] = value;
        return Process.Start(info)!;
    }

    [Fact]
    public async Task A_bad_setting_stops_start_up_with_one_line_and_exit_2()
    {
        using var process = Start(new Dictionary<string, string?> { ["MODEL_PATH"] = Path.GetTempPath(), ["CT2_INTER_THREADS"] = "-3" });
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(2, process.ExitCode);
        Assert.Equal("traductor serve: invalid setting CT2_INTER_THREADS=\"-3\": expected an integer from 1 to 256\n", stderr);
    }

    [Fact]
    public async Task A_missing_env_file_and_an_unknown_option_are_one_line_errors()
    {
        using var missing = Start(new Dictionary<string, string?>(), "--env-file", "/nonexistent/.env.prod");
        var stderr = await missing.StandardError.ReadToEndAsync();
        await missing.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(2, missing.ExitCode);
        Assert.StartsWith("traductor serve: cannot read env file /nonexistent/.env.prod", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));

        using var unknown = Start(new Dictionary<string, string?>(), "--port", "1");
        Assert.Equal("traductor serve: unknown option '--port' (try 'traductor serve --help')\n", await unknown.StandardError.ReadToEndAsync());
        await unknown.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(2, unknown.ExitCode);
    }

    [ModelFact]
    public async Task Serve_answers_at_once_loads_the_model_and_stops_cleanly_on_sigterm()
    {
        var envFile = Path.GetTempFileName();
        try
        {
            await File.WriteAllLinesAsync(envFile, [$"MODEL_PATH={TestEnvironment.TinyModel}", "PORT=1", "LOG_LEVEL=INFO"]);
            using var process = Start(new Dictionary<string, string?>
            {
                ["TOKENIZER_PATH"] = TestEnvironment.Tokenizer,
                ["HOST"] = "127.0.0.1",
                ["PORT"] = "0",   // the environment wins over the file's PORT=1
                ["CT2_INTER_THREADS"] = "1",
                ["CT2_INTRA_THREADS"] = "1",
            }, "--env-file", envFile);
            var lines = new List<string>();
            Uri? address = null;
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (address is null && DateTime.UtcNow < deadline)
            {
                var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
                Assert.NotNull(line);
                lines.Add(line);
                if (ListeningOn().Match(line) is { Success: true } match)
                    address = new Uri(match.Groups[1].Value);
            }
            Assert.NotNull(address);
            using var client = new HttpClient { BaseAddress = address };
            var health = await client.GetAsync("/health");
            Assert.True(health.StatusCode is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable);
            while (health.StatusCode != HttpStatusCode.OK && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
                health = await client.GetAsync("/health");
            }
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);

            using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
                await kill.WaitForExitAsync();
            var rest = await process.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, process.ExitCode);
            lines.AddRange(rest.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            foreach (var line in lines)
            {
                using var json = JsonDocument.Parse(line);
                Assert.True(json.RootElement.TryGetProperty("timestamp", out _), line);
                Assert.True(json.RootElement.TryGetProperty("level", out _), line);
            }
            Assert.Contains(lines, l => l.Contains("Model loaded", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(envFile);
        }
    }

    [GeneratedRegex("\"address\":\"(http://[0-9.:]+)\"")]
    private static partial Regex ListeningOn();
}
