using Serilog.Events;
using Traductor.Server.Settings;

namespace Traductor.Server.Tests;

public sealed class SettingsTests : IDisposable
{
    private readonly string _modelDir = Directory.CreateTempSubdirectory("trd-server-settings-").FullName;

    public void Dispose() => Directory.Delete(_modelDir, recursive: true);

    private ServerSettings Read(params (string Key, string? Value)[] values)
    {
        var map = values.ToDictionary(v => v.Key, v => v.Value);
        map.TryAdd("MODEL_PATH", _modelDir);
        return SettingsLoader.Read(key => map.GetValueOrDefault(key));
    }

    private string Refused(params (string Key, string? Value)[] values) => Assert.Throws<SettingsException>(() => Read(values)).Message;

    [Fact]
    public void Defaults_are_the_handbooks()
    {
        var s = Read();
        Assert.Equal(4096, s.MaxInputTokens);
        Assert.Equal(1024, s.DefaultMaxNewTokens);
        Assert.Equal(8192, s.MaxMaxNewTokens);
        Assert.Equal(TimeSpan.FromSeconds(300), s.RequestTimeout);
        Assert.Equal(16, s.MaxBatchSize);
        Assert.Equal(4, s.InterThreads);
        Assert.Equal(4, s.IntraThreads);
        Assert.Equal(4, s.BeamSize);
        Assert.False(s.LogTranslations);
        Assert.Equal(LogEventLevel.Information, s.LogLevel);
        Assert.Equal("127.0.0.1", s.Host);
        Assert.Equal(8000, s.Port);
    }

    [Fact]
    public void Every_variable_is_read_by_its_handbook_name()
    {
        var s = Read(("MAX_INPUT_TOKENS", "100"), ("DEFAULT_MAX_NEW_TOKENS", "50"), ("MAX_MAX_NEW_TOKENS", "60"), ("REQUEST_TIMEOUT", "0.5"),
            ("MAX_BATCH_SIZE", "8"), ("CT2_INTER_THREADS", "2"), ("CT2_INTRA_THREADS", "0"), ("BEAM_SIZE", "5"), ("LOG_TRANSLATIONS", "true"),
            ("LOG_LEVEL", "warning"), ("HOST", "0.0.0.0"), ("PORT", "9000"), ("CACHE_MAX_ENTRIES", "7"), ("CACHE_MAX_BYTES", "2M"),
            ("MAX_QUEUED_SEGMENTS", "9"), ("COMPUTE_TYPE", "INT8"), ("MAX_REQUEST_BYTES", "64K"), ("SHUTDOWN_TIMEOUT", "0"));
        Assert.Equal((100, 50, 60), (s.MaxInputTokens, s.DefaultMaxNewTokens, s.MaxMaxNewTokens));
        Assert.Equal(TimeSpan.FromMilliseconds(500), s.RequestTimeout);
        Assert.Equal((8, 2, 0, 5), (s.MaxBatchSize, s.InterThreads, s.IntraThreads, s.BeamSize));
        Assert.True(s.LogTranslations);
        Assert.Equal(LogEventLevel.Warning, s.LogLevel);
        Assert.Equal(("0.0.0.0", 9000), (s.Host, s.Port));
        Assert.Equal((7, 2L << 20, 9), (s.CacheMaxEntries, s.CacheMaxBytes, s.MaxQueuedSegments));
        Assert.Equal("int8", s.ComputeType);
        Assert.Equal(64L << 10, s.MaxRequestBytes);
        Assert.Equal(TimeSpan.Zero, s.ShutdownTimeout);
        Assert.Equal(Path.GetFullPath(_modelDir), s.ModelPath);
    }

    [Theory]
    [InlineData("CT2_INTER_THREADS", "-1", "expected an integer from 1 to 256")]
    [InlineData("CT2_INTRA_THREADS", "four", "expected an integer from 0 to 256")]
    [InlineData("MAX_INPUT_TOKENS", "0", "expected an integer from 1 to")]
    [InlineData("PORT", "70000", "expected an integer from 0 to 65535")]
    [InlineData("REQUEST_TIMEOUT", "0", "expected seconds greater than 0")]
    [InlineData("REQUEST_TIMEOUT", "-5", "expected seconds greater than 0")]
    [InlineData("LOG_TRANSLATIONS", "maybe", "expected true or false")]
    [InlineData("LOG_LEVEL", "LOUD", "expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL")]
    [InlineData("HOST", "example.com", "expected an IP address")]
    [InlineData("COMPUTE_TYPE", "int3", "expected one of default,")]
    [InlineData("CACHE_MAX_BYTES", "12X", "expected a byte count")]
    [InlineData("MAX_BATCH_SIZE", "99999999999999", "expected an integer from 1 to 1024")]
    [InlineData("BEAM_SIZE", "0", "expected an integer from 1 to 16")]
    public void A_bad_value_stops_start_up_with_one_line_naming_variable_value_and_range(string name, string value, string allowed)
    {
        var message = Refused((name, value));
        Assert.StartsWith($"invalid setting {name}=\"{value}\": ", message);
        Assert.Contains(allowed, message);
        Assert.DoesNotContain('\n', message);
    }

    [Fact]
    public void Max_max_new_tokens_below_the_default_stops_start_up()
    {
        var message = Refused(("MAX_MAX_NEW_TOKENS", "512"));
        Assert.Equal("invalid setting MAX_MAX_NEW_TOKENS=\"512\": expected an integer from 1024 (DEFAULT_MAX_NEW_TOKENS) to 1048576", message);
        var implicitCeiling = Refused(("DEFAULT_MAX_NEW_TOKENS", "9000"));
        Assert.Contains("MAX_MAX_NEW_TOKENS=8192 (its default)", implicitCeiling);
    }

    [Fact]
    public void Beam_ceiling_follows_a_wider_default_beam_but_not_below_it()
    {
        Assert.Equal(12, Read(("BEAM_SIZE", "12")).MaxBeamSize);
        Assert.Contains("MAX_BEAM_SIZE=\"3\"", Refused(("BEAM_SIZE", "5"), ("MAX_BEAM_SIZE", "3")));
    }

    [Fact]
    public void An_unknown_model_directory_stops_start_up()
    {
        var message = Refused(("MODEL_PATH", "/nonexistent/model"));
        Assert.StartsWith("invalid setting MODEL_PATH=\"/nonexistent/model\": expected an existing model directory", message);
        Assert.Contains("TOKENIZER_PATH=\"/nonexistent.model\"", Refused(("TOKENIZER_PATH", "/nonexistent.model")));
    }

    [Fact]
    public void Empty_values_mean_the_default_and_control_characters_stay_on_one_line()
    {
        Assert.Equal(4096, Read(("MAX_INPUT_TOKENS", "  ")).MaxInputTokens);
        var message = Refused(("PORT", "80\n81"));
        Assert.Contains("PORT=\"80\\u000a81\"", message);
        Assert.DoesNotContain('\n', message);
    }

    [Fact]
    public void Env_file_parses_comments_export_and_quotes()
    {
        var values = EnvFile.Parse(
        [
            "# a comment",
            "",
            "export PORT=9001",
            "HOST = 127.0.0.2   # inline comment",
            "MODEL_PATH='/models/with # hash'",
            "LOG_LEVEL=\"DEBUG\"",
            "TOKENIZER_PATH=",
        ], "test.env");
        Assert.Equal("9001", values["PORT"]);
        Assert.Equal("127.0.0.2", values["HOST"]);
        Assert.Equal("/models/with # hash", values["MODEL_PATH"]);
        Assert.Equal("DEBUG", values["LOG_LEVEL"]);
        Assert.Equal("", values["TOKENIZER_PATH"]);
    }

    [Theory]
    [InlineData("JUST_A_WORD", "line 1: expected KEY=VALUE")]
    [InlineData("1BAD=x", "line 1: expected KEY=VALUE")]
    [InlineData("A=\"open", "line 1: unterminated double quote")]
    public void Env_file_errors_name_file_and_line(string line, string expected)
    {
        var e = Assert.Throws<SettingsException>(() => EnvFile.Parse([line], "prod.env"));
        Assert.StartsWith($"env file prod.env {expected}", e.Message);
    }

    [Fact]
    public void The_environment_wins_over_the_env_file()
    {
        var file = Path.Combine(_modelDir, "test.env");
        File.WriteAllLines(file, [$"MODEL_PATH={_modelDir}", "PORT=9100", "MAX_INPUT_TOKENS=77"]);
        var s = SettingsLoader.Load(file, new Dictionary<string, string?> { ["PORT"] = "9200" });
        Assert.Equal(9200, s.Port);
        Assert.Equal(77, s.MaxInputTokens);
        var missing = Assert.Throws<SettingsException>(() => SettingsLoader.Load(Path.Combine(_modelDir, "absent.env"), new Dictionary<string, string?>()));
        Assert.StartsWith("cannot read env file", missing.Message);
    }
}
