using System.Text.Json;
using Traductor.Models.Ct2;

namespace Traductor.Models.Checkpoints;

/// <summary>
/// The weight files of a Hugging Face checkpoint directory: <c>model.safetensors</c>, a sharded
/// <c>model.safetensors.index.json</c>, <c>pytorch_model.bin</c> or its sharded index (in the order
/// transformers prefers them). Shards are opened lazily and all stay open until disposal.
/// </summary>
public sealed class HfCheckpoint : ICheckpointWeights
{
    private readonly Dictionary<string, string> _weightMap;
    private readonly Dictionary<string, ICheckpointWeights> _open = new(StringComparer.Ordinal);
    private readonly Func<string, ICheckpointWeights> _opener;
    private readonly string _directory;

    private HfCheckpoint(string directory, string description, Dictionary<string, string> weightMap, Func<string, ICheckpointWeights> opener)
    {
        _directory = directory;
        Description = description;
        _weightMap = weightMap;
        _opener = opener;
    }

    public string Description { get; }
    public IReadOnlyCollection<string> Names => _weightMap.Keys;

    public static HfCheckpoint Open(string directory)
    {
        foreach (var (file, isIndex, opener) in new (string, bool, Func<string, ICheckpointWeights>)[]
        {
            ("model.safetensors", false, SafetensorsFile.Open),
            ("model.safetensors.index.json", true, SafetensorsFile.Open),
            ("pytorch_model.bin", false, PyTorchCheckpoint.Open),
            ("pytorch_model.bin.index.json", true, PyTorchCheckpoint.Open),
        })
        {
            string path = Path.Combine(directory, file);
            if (!File.Exists(path))
                continue;
            if (!isIndex)
            {
                var single = opener(path);
                var map = single.Names.ToDictionary(n => n, _ => file, StringComparer.Ordinal);
                var checkpoint = new HfCheckpoint(directory, file, map, opener);
                checkpoint._open[file] = single;
                return checkpoint;
            }
            return new HfCheckpoint(directory, file, ReadIndex(path, directory), opener);
        }
        throw new ModelToolException($"{directory} has no weights: expected model.safetensors, model.safetensors.index.json, pytorch_model.bin or pytorch_model.bin.index.json");
    }

    private static Dictionary<string, string> ReadIndex(string path, string directory)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in doc.RootElement.GetProperty("weight_map").EnumerateObject())
            {
                string shard = p.Value.GetString() ?? throw new FormatException($"shard of '{p.Name}' is null");
                if (shard.Contains('/', StringComparison.Ordinal) || shard.Contains('\\', StringComparison.Ordinal) || shard.StartsWith('.'))
                    throw new ModelToolException($"{Path.GetFileName(path)}: shard name '{shard}' must be a plain file name in the checkpoint directory");
                if (!File.Exists(Path.Combine(directory, shard)))
                    throw new ModelToolException($"{Path.GetFileName(path)} names the shard {shard}, which is missing from {directory}");
                map[p.Name] = shard;
            }
            return map;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new ModelToolException($"{Path.GetFileName(path)} is not a valid weight index ({e.Message})", e);
        }
    }

    public TensorSource? Find(string name)
    {
        if (!_weightMap.TryGetValue(name, out var file))
            return null;
        if (!_open.TryGetValue(file, out var weights))
        {
            weights = _opener(Path.Combine(_directory, file));
            _open[file] = weights;
        }
        return weights.Find(name) ?? throw new ModelToolException($"{Description} places '{name}' in {file}, but {file} does not contain it");
    }

    public void Dispose()
    {
        foreach (var w in _open.Values)
            w.Dispose();
        _open.Clear();
    }
}
