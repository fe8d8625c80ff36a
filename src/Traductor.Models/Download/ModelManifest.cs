using System.Text.Json;
using System.Text.Json.Serialization;

namespace Traductor.Models.Download;

public sealed record ManifestFile
{
    [JsonPropertyName("name")] public required string Name { get; init; }
    /// <summary>Bytes as last published; the hub's X-Linked-Size / Content-Length is what downloads are checked against.</summary>
    [JsonPropertyName("size")] public long? Size { get; init; }
    [JsonPropertyName("optional")] public bool Optional { get; init; }
}

public sealed record ManifestModel
{
    [JsonPropertyName("repo")] public required string Repo { get; init; }
    [JsonPropertyName("revision")] public string Revision { get; init; } = "main";
    [JsonPropertyName("license")] public required string License { get; init; }
    [JsonPropertyName("license_url")] public string? LicenseUrl { get; init; }
    [JsonPropertyName("license_notice")] public string? LicenseNotice { get; init; }
    [JsonPropertyName("files")] public required IReadOnlyList<ManifestFile> Files { get; init; }
    [JsonPropertyName("disk_bytes_ct2_int8")] public long? DiskBytesInt8 { get; init; }
    [JsonPropertyName("ram_bytes_int8")] public long? RamBytesInt8 { get; init; }
}

public sealed record ModelManifestFile
{
    [JsonPropertyName("models")] public required IReadOnlyDictionary<string, ManifestModel> Models { get; init; }
}

/// <summary>models/manifest.json: the models `traductor model download --model NAME` knows.</summary>
public static class ModelManifest
{
    public static ModelManifestFile Load(string path)
    {
        try
        {
            return JsonSerializer.Deserialize<ModelManifestFile>(File.ReadAllBytes(path))
                ?? throw new ModelToolException($"{path} is empty");
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            throw new ModelToolException($"cannot read the model manifest {path}: {e.Message}", e);
        }
    }

    /// <summary>The manifest built into the tooling (a copy of models/manifest.json).</summary>
    public static ModelManifestFile BuiltIn()
    {
        using var stream = typeof(ModelManifest).Assembly.GetManifestResourceStream("Traductor.Models.manifest.json")
            ?? throw new ModelToolException("the built-in model manifest is missing from this build");
        return JsonSerializer.Deserialize<ModelManifestFile>(stream) ?? throw new ModelToolException("the built-in model manifest is empty");
    }

    /// <summary>The files to fetch for a repository that is not in the manifest (NLLB layout, weights discovered).</summary>
    public static IReadOnlyList<ManifestFile> DefaultFiles { get; } =
    [
        new() { Name = "config.json" },
        new() { Name = "sentencepiece.bpe.model" },
        new() { Name = "tokenizer_config.json" },
        new() { Name = "special_tokens_map.json", Optional = true },
        new() { Name = "tokenizer.json", Optional = true },
        new() { Name = "generation_config.json", Optional = true },
    ];
}
