using Traductor.Deploy.Tests.Infrastructure;
using Traductor.Server.Settings;

namespace Traductor.Deploy.Tests;

/// <summary>.env.example against the service's real settings loader: same names, same defaults, valid.</summary>
public sealed class EnvExampleTests
{
    /// <summary>The operations handbook's names (plus the ones the issue lists).</summary>
    public static TheoryData<string> HandbookSettings() =>
    [
        "MODEL_PATH", "HOST", "PORT", "MAX_INPUT_TOKENS", "DEFAULT_MAX_NEW_TOKENS", "MAX_MAX_NEW_TOKENS",
        "REQUEST_TIMEOUT", "MAX_BATCH_SIZE", "CT2_INTER_THREADS", "CT2_INTRA_THREADS", "BEAM_SIZE",
        "LOG_TRANSLATIONS", "LOG_LEVEL", "TOKENIZER_PATH", "CACHE_MAX_ENTRIES", "CACHE_MAX_BYTES",
    ];

    [Theory]
    [MemberData(nameof(HandbookSettings))]
    public void ListsEveryHandbookSetting(string name) => Assert.True(EnvExample.Values().ContainsKey(name), $".env.example lacks {name}");

    [Fact]
    public void ListsExactlyTheSettingsTheServiceReads()
    {
        var asked = new SortedSet<string>(StringComparer.Ordinal);
        using var model = new TempDirectory("model");
        SettingsLoader.Read(name =>
        {
            asked.Add(name);
            return name == "MODEL_PATH" ? model.Path : null;
        });
        var listed = new SortedSet<string>(EnvExample.Values().Keys, StringComparer.Ordinal);
        Assert.Equal(asked, listed);
    }

    [Fact]
    public void ValuesAreTheServiceDefaults()
    {
        using var model = new TempDirectory("model");
        var example = EnvExample.Values();
        var fromExample = SettingsLoader.Read(name => name == "MODEL_PATH" ? model.Path : example.GetValueOrDefault(name));
        var defaults = SettingsLoader.Read(name => name == "MODEL_PATH" ? model.Path : null);
        Assert.Equal(defaults, fromExample);
        Assert.Equal(new ServerSettings().ModelPath, example["MODEL_PATH"]);
    }

    [Fact]
    public void KubernetesConfigMapIsValidForTheService()
    {
        // The ConfigMap sets the settings of every pod; a typo'd name or a bad value would only show up
        // as a crash-looping pod.
        var data = KubernetesManifests.Load().Single(o => o.Kind == "ConfigMap").Map("data");
        var values = data.Children.ToDictionary(kv => kv.Key.ToString(), kv => (string?)kv.Value.ToString(), StringComparer.Ordinal);
        var known = EnvExample.Values().Keys.ToHashSet(StringComparer.Ordinal);
        Assert.All(values.Keys, k => Assert.True(known.Contains(k), $"ConfigMap sets {k}, which the service does not read"));
        Assert.Equal("/models/nllb-200-distilled-600M-ct2-int8", values["MODEL_PATH"]);
        using var model = new TempDirectory("model");
        var settings = SettingsLoader.Read(name => name == "MODEL_PATH" ? model.Path : values.GetValueOrDefault(name));
        Assert.Equal("0.0.0.0", settings.Host);
        Assert.Equal(8000, settings.Port);
    }

    [Fact]
    public void DockerfileEnvironmentIsValidForTheService()
    {
        var env = Dockerfile.Load().Environment("runtime");
        var known = EnvExample.Values().Keys.ToHashSet(StringComparer.Ordinal);
        var settings = env.Where(kv => known.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        Assert.Equal("0.0.0.0", settings["HOST"]);
        Assert.Equal("false", settings["LOG_TRANSLATIONS"]);
        Assert.StartsWith("/models/", settings["MODEL_PATH"], StringComparison.Ordinal);
        using var model = new TempDirectory("model");
        var parsed = SettingsLoader.Read(name => name == "MODEL_PATH" ? model.Path : settings.GetValueOrDefault(name));
        Assert.False(parsed.LogTranslations);
    }
}
