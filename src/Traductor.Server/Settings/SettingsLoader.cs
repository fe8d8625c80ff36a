using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;
using Serilog.Events;
using Traductor.Core;

namespace Traductor.Server.Settings;

/// <summary>
/// Reads <see cref="ServerSettings"/> from variables named as in the operations handbook. Sources, later
/// ones winning: <c>appsettings.json</c> (application directory, then working directory), the
/// <c>.env</c> file, the process environment. The first bad value stops with a <see cref="SettingsException"/>.
/// </summary>
public static class SettingsLoader
{
    /// <summary>Largest token count any limit may be set to; far beyond what NLLB can use, it only catches typos.</summary>
    private const int TokenCeiling = 1 << 20;

    private const int MaxBeam = TranslationService.MaxBeamSize;

    /// <summary>Builds the layered configuration and reads the settings from it.</summary>
    /// <param name="envFile">An explicit <c>--env-file</c> (must exist), or null to use <c>./.env</c> when present.</param>
    /// <param name="environment">The process environment; tests pass their own.</param>
    public static ServerSettings Load(string? envFile, IReadOnlyDictionary<string, string?> environment)
    {
        var builder = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true, reloadOnChange: false)
            .AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "appsettings.json"), optional: true, reloadOnChange: false);
        var envPath = envFile ?? (File.Exists(".env") ? ".env" : null);
        if (envPath is not null)
            builder.AddInMemoryCollection(EnvFile.Read(envPath));
        builder.AddInMemoryCollection(environment);
        IConfiguration configuration;
        try
        {
            configuration = builder.Build();
        }
        catch (InvalidDataException e)
        {
            throw new SettingsException($"appsettings.json is not valid JSON: {e.Message}");
        }
        return Read(key => configuration[key]);
    }

    /// <summary>Reads and validates every setting through <paramref name="lookup"/> (variable name → raw value or null).</summary>
    public static ServerSettings Read(Func<string, string?> lookup)
    {
        var r = new Reader(lookup);
        var d = new ServerSettings();
        var s = new ServerSettings
        {
            ModelPath = r.ExistingDirectory("MODEL_PATH", d.ModelPath),
            TokenizerPath = r.OptionalExistingFile("TOKENIZER_PATH"),
            ComputeType = r.OneOf("COMPUTE_TYPE", d.ComputeType, ComputeTypes),
            MaxInputTokens = r.Int("MAX_INPUT_TOKENS", d.MaxInputTokens, 1, TokenCeiling),
            DefaultMaxNewTokens = r.Int("DEFAULT_MAX_NEW_TOKENS", d.DefaultMaxNewTokens, 1, TokenCeiling),
            RequestTimeout = r.Seconds("REQUEST_TIMEOUT", d.RequestTimeout, minExclusive: 0, max: 86_400),
            MaxBatchSize = r.Int("MAX_BATCH_SIZE", d.MaxBatchSize, 1, 1024),
            MaxQueuedSegments = r.Int("MAX_QUEUED_SEGMENTS", d.MaxQueuedSegments, 1, 1_000_000),
            InterThreads = r.Int("CT2_INTER_THREADS", d.InterThreads, 1, 256),
            IntraThreads = r.Int("CT2_INTRA_THREADS", d.IntraThreads, 0, 256),
            BeamSize = r.Int("BEAM_SIZE", d.BeamSize, 1, MaxBeam),
            CacheMaxEntries = r.Int("CACHE_MAX_ENTRIES", d.CacheMaxEntries, 0, 100_000_000),
            CacheMaxBytes = r.Bytes("CACHE_MAX_BYTES", d.CacheMaxBytes, 0, 1L << 40),
            MaxRequestBytes = r.Bytes("MAX_REQUEST_BYTES", d.MaxRequestBytes, 1024, 1L << 30),
            MaxTextsPerRequest = r.Int("MAX_TEXTS_PER_REQUEST", d.MaxTextsPerRequest, 1, 100_000),
            ShutdownTimeout = r.Seconds("SHUTDOWN_TIMEOUT", d.ShutdownTimeout, minExclusive: -1, max: 3600),
            LogTranslations = r.Bool("LOG_TRANSLATIONS", d.LogTranslations),
            LogLevel = r.Level("LOG_LEVEL", d.LogLevel),
            Host = r.Host("HOST", d.Host),
            Port = r.Int("PORT", d.Port, 0, 65_535),
        };
        // A ceiling is read after the default it bounds, so its message can name both. The beam ceiling
        // follows a wider BEAM_SIZE; the token ceiling does not: the handbook wants MAX_MAX_NEW_TOKENS
        // below the default to stop start-up.
        return s with
        {
            MaxMaxNewTokens = r.Int("MAX_MAX_NEW_TOKENS", d.MaxMaxNewTokens, s.DefaultMaxNewTokens, TokenCeiling, "DEFAULT_MAX_NEW_TOKENS"),
            MaxBeamSize = r.Int("MAX_BEAM_SIZE", Math.Max(d.MaxBeamSize, s.BeamSize), s.BeamSize, MaxBeam, "BEAM_SIZE"),
        };
    }

    /// <summary>The compute types the engine understands (CTranslate2's names).</summary>
    public static IReadOnlyList<string> ComputeTypes { get; } =
        ["default", "auto", "float32", "int8", "int8_float32", "int16", "float16", "int8_float16", "bfloat16", "int8_bfloat16"];

    private sealed class Reader(Func<string, string?> lookup)
    {
        private string? Raw(string name)
        {
            var value = lookup(name);
            return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
        }

        private static SettingsException Invalid(string name, string value, string allowed) =>
            new($"invalid setting {name}=\"{Printable(value)}\": {allowed}");

        public int Int(string name, int fallback, int min, int max, string? minName = null)
        {
            var raw = Raw(name);
            var range = minName is null ? $"{min} to {max}" : $"{min} ({minName}) to {max}";
            if (raw is null)
            {
                // Only a ceiling's built-in default can clash with a configured lower bound.
                if (fallback < min)
                    throw new SettingsException($"invalid setting {name}={fallback} (its default): expected an integer from {range}; set {name}");
                return fallback;
            }
            if (!int.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
                throw Invalid(name, raw, $"expected an integer from {range}");
            return value;
        }

        public long Bytes(string name, long fallback, long min, long max)
        {
            var raw = Raw(name);
            if (raw is null)
                return fallback;
            var allowed = $"expected a byte count from {min} to {max} (suffixes K, M, G allowed)";
            var multiplier = char.ToUpperInvariant(raw[^1]) switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, _ => 1L };
            var digits = multiplier == 1 ? raw : raw[..^1];
            if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value > max / multiplier)
                throw Invalid(name, raw, allowed);
            value *= multiplier;
            if (value < min || value > max)
                throw Invalid(name, raw, allowed);
            return value;
        }

        public TimeSpan Seconds(string name, TimeSpan fallback, double minExclusive, double max)
        {
            var raw = Raw(name);
            if (raw is null)
                return fallback;
            if (!double.TryParse(raw, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || value <= minExclusive || value > max)
            {
                var lower = minExclusive < 0 ? "from 0" : $"greater than {minExclusive.ToString(CultureInfo.InvariantCulture)}";
                throw Invalid(name, raw, $"expected seconds {lower} up to {max.ToString(CultureInfo.InvariantCulture)}");
            }
            return TimeSpan.FromSeconds(value);
        }

        public bool Bool(string name, bool fallback)
        {
            var raw = Raw(name);
            return raw?.ToLowerInvariant() switch
            {
                null => fallback,
                "true" or "1" or "yes" or "on" => true,
                "false" or "0" or "no" or "off" => false,
                _ => throw Invalid(name, raw, "expected true or false"),
            };
        }

        public LogEventLevel Level(string name, LogEventLevel fallback)
        {
            var raw = Raw(name);
            return raw?.ToUpperInvariant() switch
            {
                null => fallback,
                "TRACE" or "VERBOSE" => LogEventLevel.Verbose,
                "DEBUG" => LogEventLevel.Debug,
                "INFO" or "INFORMATION" => LogEventLevel.Information,
                "WARN" or "WARNING" => LogEventLevel.Warning,
                "ERROR" => LogEventLevel.Error,
                "CRITICAL" or "FATAL" => LogEventLevel.Fatal,
                _ => throw Invalid(name, raw, "expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
            };
        }

        public string OneOf(string name, string fallback, IReadOnlyList<string> allowed)
        {
            var raw = Raw(name);
            if (raw is null)
                return fallback;
            var match = allowed.FirstOrDefault(a => string.Equals(a, raw, StringComparison.OrdinalIgnoreCase));
            return match ?? throw Invalid(name, raw, $"expected one of {string.Join(", ", allowed)}");
        }

        public string Host(string name, string fallback)
        {
            var raw = Raw(name);
            if (raw is null)
                return fallback;
            if (raw.Equals("localhost", StringComparison.OrdinalIgnoreCase) || IPAddress.TryParse(raw, out _))
                return raw;
            throw Invalid(name, raw, "expected an IP address (127.0.0.1, 0.0.0.0, ::1, ::) or localhost");
        }

        public string ExistingDirectory(string name, string fallback)
        {
            var path = Raw(name) ?? fallback;
            if (!Directory.Exists(path))
                throw Invalid(name, path, $"expected an existing model directory (resolved to {Path.GetFullPath(path)})");
            return Path.GetFullPath(path);
        }

        public string? OptionalExistingFile(string name)
        {
            var path = Raw(name);
            if (path is null)
                return null;
            if (!File.Exists(path))
                throw Invalid(name, path, $"expected an existing file (resolved to {Path.GetFullPath(path)})");
            return Path.GetFullPath(path);
        }
    }

    /// <summary>Keeps the error on one line and short, whatever the value holds.</summary>
    private static string Printable(string value)
    {
        var shown = value.Length > 200 ? value[..200] + "…" : value;
        return string.Concat(shown.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c == '"' ? "\\\"" : c.ToString()));
    }
}
