using System.Globalization;
using System.Text.Json;
using Traductor.Models.Ct2;
using Traductor.Models.Tokenizers;
using Traductor.Native;

namespace Traductor.Models.Verification;

public sealed record ModelReport(
    string Directory,
    bool IsSmokeModel,
    TransformerShape Shape,
    string WeightType,
    long ParameterCount,
    long DiskBytes,
    int VocabularySize,
    IReadOnlyList<string> LanguageCodes,
    IReadOnlyList<string> Problems)
{
    public bool Ok => Problems.Count == 0;

    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{Directory}{(IsSmokeModel ? " [SMOKE MODEL: random weights, output is nonsense]" : "")}\n" +
        $"  shape       {Shape.EncoderLayers}+{Shape.DecoderLayers} layers, d_model {Shape.DModel}, {Shape.Heads} heads, ffn {Shape.Ffn}, vocabulary {Shape.VocabularySize}, {Shape.PositionRows} positions\n" +
        $"  weights     {WeightType}, {ParameterCount:N0} parameters\n" +
        $"  size        {DiskBytes / 1e6:F1} MB on disk\n" +
        $"  languages   {LanguageCodes.Count} codes ({string.Join(", ", LanguageCodes.Take(6))}{(LanguageCodes.Count > 6 ? ", …" : "")})");
}

/// <summary>
/// `traductor model verify`: checks a CT2 model directory the service is about to use — model.bin
/// structure, config.json, vocabulary against the embedding, the language codes the service needs,
/// and that sentencepiece.bpe.model is the tokenizer the vocabulary was built from — then loads it in
/// the native engine and translates one sentence.
/// </summary>
public static class ModelVerifier
{
    public static readonly IReadOnlyList<string> RequiredLanguages = ["spa_Latn", "dan_Latn"];

    public static ModelReport Inspect(string directory)
    {
        if (!Directory.Exists(directory))
            throw new ModelToolException($"{directory} does not exist");
        var problems = new List<string>();
        string modelBin = Path.Combine(directory, "model.bin");
        if (!File.Exists(modelBin))
            throw new ModelToolException($"{directory} has no model.bin: not a CTranslate2 model directory");

        JsonElement config = default;
        string configPath = Path.Combine(directory, "config.json");
        if (!File.Exists(configPath))
            problems.Add("config.json is missing (binary version 6 models need it)");
        else
        {
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllBytes(configPath));
                config = doc.RootElement.Clone();
            }
            catch (JsonException e)
            {
                problems.Add($"config.json is not valid JSON: {e.Message}");
            }
        }
        string? ConfigString(string key) => config.ValueKind == JsonValueKind.Object && config.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        bool smoke = config.ValueKind == JsonValueKind.Object && config.TryGetProperty(Generation.TestModelGenerator.SmokeModelKey, out var s) && s.ValueKind == JsonValueKind.True;

        using var model = Ct2ModelReader.Open(modelBin);
        if (model.SpecName != TransformerSpec.Name)
            problems.Add($"model.bin holds a '{model.SpecName}', not a {TransformerSpec.Name} (translation model)");
        if (model.TrailingBytes != 0)
            problems.Add($"model.bin has {model.TrailingBytes} unexpected bytes after its last record");
        foreach (var (alias, target) in model.Aliases)
            if (model.Find(target) is null)
                problems.Add($"alias {alias} points to the missing variable {target}");

        int Layers(string stack) => model.Variables.Select(v => v.Name).Concat(model.Aliases.Select(a => a.Key))
            .Select(n => System.Text.RegularExpressions.Regex.Match(n, $"^{stack}/layer_([0-9]+)/"))
            .Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).DefaultIfEmpty(-1).Max() + 1;
        long[] Dims(string name) => model.Find(name)?.Shape.ToArray() ?? [];
        var embedding = model.Find("decoder/embeddings/weight");
        if (embedding is null || embedding.Shape.Count != 2)
            throw new ModelToolException($"{modelBin} has no 2-D decoder/embeddings/weight: not an NLLB-style translation model");
        var ffn = Dims("encoder/layer_0/ffn/linear_0/weight");
        var positions = Dims("decoder/position_encodings/encodings");
        int heads = model.Find("encoder/num_heads") is not null ? (int)model.ReadScalar("encoder/num_heads") : 8;
        var shape = new TransformerShape(Layers("encoder"), Layers("decoder"), (int)embedding.Shape[1], heads,
            ffn.Length == 2 ? (int)ffn[0] : 0, (int)embedding.Shape[0], positions.Length == 2 ? (int)positions[0] : 0);
        if (model.Find("decoder/projection/weight") is null)
            problems.Add("decoder/projection/weight is missing");

        var tokens = ReadVocabulary(directory, problems);
        if (tokens is not null)
        {
            if (tokens.Count != shape.VocabularySize)
                problems.Add($"the vocabulary has {tokens.Count} tokens but the embedding has {shape.VocabularySize} rows");
            foreach (var key in new[] { "bos_token", "eos_token", "unk_token", "decoder_start_token" })
                if (ConfigString(key) is { } token && !tokens.Contains(token))
                    problems.Add($"config.json {key} '{token}' is not in the vocabulary");
            foreach (var code in RequiredLanguages)
                if (!tokens.Contains(code))
                    problems.Add($"language code {code} is missing from the vocabulary (the service translates Spanish ⇄ Danish)");
        }
        var languages = tokens?.Where(t => t.Length == 8 && t[3] == '_' && char.IsUpper(t[4]) && t[..3].All(char.IsLower)).ToList() ?? [];

        string spmPath = Path.Combine(directory, "sentencepiece.bpe.model");
        if (!File.Exists(spmPath))
            problems.Add("sentencepiece.bpe.model is missing (the service tokenizes with it; `model convert` copies it)");
        else if (tokens is not null)
        {
            var spm = SentencePieceModel.Load(spmPath);
            int mismatches = 0;
            int firstMismatch = -1;
            for (int i = 3; i < spm.Count && i + 1 < tokens.Count; i++)
                if (tokens[i + 1] != spm.Pieces[i].Piece && mismatches++ == 0)
                    firstMismatch = i;
            if (mismatches > 0 || spm.Count + 1 > tokens.Count)
                problems.Add($"sentencepiece.bpe.model does not match the vocabulary ({mismatches} pieces differ, first at spm id {firstMismatch}): wrong tokenizer file");
        }

        var weightType = embedding.DataType == Ct2DataType.Int8 ? "int8 (int8_float32 on CPU)"
            : model.Find("encoder/layer_0/self_attention/linear_0/weight")?.DataType.Name() ?? embedding.DataType.Name();
        long parameters = model.Variables.Where(v => v.Shape.Count > 0 && !v.Name.EndsWith("_scale", StringComparison.Ordinal)).Sum(v => v.ElementCount);
        long disk = Directory.GetFiles(directory).Sum(f => new FileInfo(f).Length);
        return new ModelReport(Path.GetFullPath(directory), smoke, shape, weightType, parameters, disk, tokens?.Count ?? 0, languages, problems);
    }

    private static List<string>? ReadVocabulary(string directory, List<string> problems)
    {
        string json = Path.Combine(directory, "shared_vocabulary.json");
        string txt = Path.Combine(directory, "shared_vocabulary.txt");
        try
        {
            if (File.Exists(json))
                return JsonSerializer.Deserialize<List<string>>(File.ReadAllBytes(json)) ?? [];
            if (File.Exists(txt))
            {
                var lines = File.ReadAllText(txt).Split('\n').ToList();
                if (lines.Count > 0 && lines[^1].Length == 0)
                    lines.RemoveAt(lines.Count - 1);
                return lines;
            }
        }
        catch (JsonException e)
        {
            problems.Add($"shared_vocabulary.json is not a JSON list of strings: {e.Message}");
            return null;
        }
        problems.Add("no shared_vocabulary.json (or .txt): separate source/target vocabularies are not used by NLLB");
        return null;
    }

    /// <summary>Loads the directory in the native engine and translates <paramref name="text"/> (Spanish) into Danish, greedily.</summary>
    public static (string Translation, IReadOnlyList<string> Tokens, TimeSpan LoadTime, TimeSpan TranslateTime) SmokeTranslate(string directory, string text)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            using var translator = NativeTranslator.Load(directory);
            using var tokenizer = NativeTokenizer.Load(Path.Combine(directory, "sentencepiece.bpe.model"));
            var load = clock.Elapsed;
            var source = new List<string> { "spa_Latn" };
            source.AddRange(tokenizer.Encode(text));
            source.Add("</s>");
            clock.Restart();
            var result = translator.TranslateBatch([source], [["dan_Latn"]], new DecodingOptions { BeamSize = 1, MaxDecodingLength = 32 });
            var hypothesis = result[0].Hypotheses[0].Skip(1).ToList();
            return (tokenizer.Decode(hypothesis), hypothesis, load, clock.Elapsed);
        }
        catch (TraductorNativeException e)
        {
            throw new ModelToolException($"the native engine rejected {directory} ({e.Code}): {e.Message}", e);
        }
        catch (Exception e) when (e is NativeLibraryLoadException or DllNotFoundException or EntryPointNotFoundException)
        {
            throw new ModelToolException($"the native engine (libtraductor.so) is not available: {e.Message} (run `make native`)", e);
        }
    }
}
