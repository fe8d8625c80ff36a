using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Traductor.Models.Ct2;
using Traductor.Models.Tokenizers;

namespace Traductor.Models.Checkpoints;

public sealed record ConversionResult(string Directory, TransformerShape Shape, Ct2WriteSummary Model, Ct2DataType LoadType, TimeSpan Elapsed);

/// <summary>
/// Converts a Hugging Face M2M100/NLLB checkpoint into the directory CTranslate2 4.8.1's
/// <c>ct2-transformers-converter</c> (M2M100Loader) writes: same variables, fused QKV / KV,
/// computed position table, value-based aliases, quantization, config.json and vocabulary
/// (fact sheet §2–§4, golden/convert/README.md). Tensors are streamed from the checkpoint to
/// model.bin; the output appears only when complete.
/// </summary>
public static class M2M100Converter
{
    public const string Architecture = "M2M100ForConditionalGeneration";

    public static ConversionResult Convert(string hfDirectory, string outputDirectory, Quantization quantization, bool replace = false, Action<string>? log = null)
    {
        var clock = Stopwatch.StartNew();
        if (!Directory.Exists(hfDirectory))
            throw new ModelToolException($"{hfDirectory} does not exist (run `make download` first, or pass --from DIR)");
        var config = ReadConfig(hfDirectory);
        var shape = new TransformerShape(
            Int(config, "encoder_layers"), Int(config, "decoder_layers"), Int(config, "d_model"),
            Int(config, "encoder_attention_heads"), Int(config, "encoder_ffn_dim"), Int(config, "vocab_size"),
            Int(config, "max_position_embeddings"));
        shape.Validate();
        if (Int(config, "decoder_ffn_dim", shape.Ffn) != shape.Ffn)
            throw new ModelToolException($"{hfDirectory}: decoder_ffn_dim differs from encoder_ffn_dim; CTranslate2's TransformerSpec has one FFN width");
        string activation = Str(config, "activation_function") ?? "relu";
        if (activation != "relu")
            throw new ModelToolException($"{hfDirectory}: activation_function '{activation}' is not supported (NLLB/M2M100 use relu)");
        bool scaleEmbedding = config.TryGetProperty("scale_embedding", out var se) && se.ValueKind == JsonValueKind.True;
        var loadType = quantization.ForcedLoadType() ?? ParseTorchDtype(Str(config, "dtype") ?? Str(config, "torch_dtype"));
        int decoderStart = Int(config, "decoder_start_token_id", 2);

        var (tokens, specials) = NllbVocabulary.ForCheckpoint(hfDirectory, shape.VocabularySize, decoderStart);
        using var weights = HfCheckpoint.Open(hfDirectory);
        var positions = CastTensorSource.To(new SinusoidalPositionSource(shape.PositionRows, shape.DModel), loadType);
        var cache = new Dictionary<string, TensorSource>(StringComparer.Ordinal);
        // One cast wrapper per checkpoint tensor object, so tied names stay one object (CT2 aliases `a is b` without re-reading).
        var casts = new Dictionary<TensorSource, TensorSource>(ReferenceEqualityComparer.Instance);

        TensorSource Hf(string name)
        {
            if (cache.TryGetValue(name, out var cached))
                return cached;
            var source = weights.Find(name) ?? weights.Find(name.StartsWith("model.", StringComparison.Ordinal) ? name[6..] : "model." + name);
            if (source is null && name is "model.encoder.embed_tokens.weight" or "model.decoder.embed_tokens.weight" or "lm_head.weight")
                source = Hf("model.shared.weight");   // tied to the shared embedding and not stored
            if (source is null)
                throw new ModelToolException($"{weights.Description} has no tensor '{name}' (is this an M2M100/NLLB checkpoint?)");
            if (!casts.TryGetValue(source, out var cast))
            {
                cast = CastTensorSource.To(source, loadType);
                casts[source] = cast;
            }
            source = cast;
            cache[name] = source;
            return source;
        }
        TensorSource Fused(params string[] names) => ConcatRowsTensorSource.Create(names.Select(Hf).ToList());

        TensorSource Tensor(string ct2)
        {
            var source = Map(ct2);
            var expected = TransformerSpec.ExpectedShape(shape, ct2);
            if (!source.Shape.SequenceEqual(expected))
                throw new ModelToolException($"{ct2}: the checkpoint gives shape [{string.Join(", ", source.Shape)}], config.json implies [{string.Join(", ", expected)}]");
            return source;
        }
        TensorSource Map(string ct2)
        {
            switch (ct2)
            {
                case "decoder/embeddings/weight": return Hf("model.shared.weight");
                case "encoder/embeddings_0/weight": return Hf("model.encoder.embed_tokens.weight");
                case "decoder/projection/weight": return Hf("lm_head.weight");
                case "encoder/position_encodings/encodings" or "decoder/position_encodings/encodings": return positions;
            }
            var parts = ct2.Split('/');
            string stack = parts[0];
            string last = parts[^1];
            string hfParam = last switch { "gamma" => "weight", "beta" => "bias", _ => last };
            if (parts.Length == 3 && parts[1] == "layer_norm")
                return Hf($"model.{stack}.layer_norm.{hfParam}");
            int layer = int.Parse(parts[1]["layer_".Length..], CultureInfo.InvariantCulture);
            string p = $"model.{stack}.layers.{layer}.";
            string module = parts[2] + "/" + parts[3];
            return module switch
            {
                "self_attention/linear_0" => Fused(p + "self_attn.q_proj." + hfParam, p + "self_attn.k_proj." + hfParam, p + "self_attn.v_proj." + hfParam),
                "self_attention/linear_1" => Hf(p + "self_attn.out_proj." + hfParam),
                "self_attention/layer_norm" => Hf(p + "self_attn_layer_norm." + hfParam),
                "attention/linear_0" => Hf(p + "encoder_attn.q_proj." + hfParam),
                "attention/linear_1" => Fused(p + "encoder_attn.k_proj." + hfParam, p + "encoder_attn.v_proj." + hfParam),
                "attention/linear_2" => Hf(p + "encoder_attn.out_proj." + hfParam),
                "attention/layer_norm" => Hf(p + "encoder_attn_layer_norm." + hfParam),
                "ffn/linear_0" => Hf(p + "fc1." + hfParam),
                "ffn/linear_1" => Hf(p + "fc2." + hfParam),
                "ffn/layer_norm" => Hf(p + "final_layer_norm." + hfParam),
                _ => throw new ModelToolException($"internal error: no mapping for {ct2}"),
            };
        }

        var variables = TransformerSpec.Variables(shape, Tensor);
        if (!scaleEmbedding)
        {
            // CT2 stores 1.0 when config.scale_embedding is false (fact sheet §3.6).
            variables = variables.Select(v => v.Name.EndsWith("/scale_embeddings", StringComparison.Ordinal) ? v with { Source = ArrayTensorSource.ScalarFloat32(1f) } : v).ToList();
        }

        using var output = OutputDirectory.Create(outputDirectory, replace);
        File.WriteAllText(output.File("shared_vocabulary.json"), PythonJson.TokenList(tokens), new UTF8Encoding(false));
        var summary = Ct2ModelWriter.Write(output.File("model.bin"), TransformerSpec.Name, TransformerSpec.Revision, variables, quantization, log);
        File.WriteAllText(output.File("config.json"), PythonJson.SortedObject(TransformerSpec.Config(specials)), new UTF8Encoding(false));
        File.Copy(Path.Combine(hfDirectory, "sentencepiece.bpe.model"), output.File("sentencepiece.bpe.model"));
        output.Commit();
        return new ConversionResult(Path.GetFullPath(outputDirectory), shape, summary, loadType, clock.Elapsed);
    }

    private static JsonElement ReadConfig(string hfDirectory)
    {
        string path = Path.Combine(hfDirectory, "config.json");
        if (!File.Exists(path))
            throw new ModelToolException($"{hfDirectory} has no config.json; is it a Hugging Face checkpoint directory?");
        JsonElement config;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            config = doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new ModelToolException($"{path} is not valid JSON: {e.Message}", e);
        }
        if (config.ValueKind != JsonValueKind.Object)
            throw new ModelToolException($"{path} is not a JSON object");
        string? modelType = Str(config, "model_type");
        var architectures = config.TryGetProperty("architectures", out var a) && a.ValueKind == JsonValueKind.Array
            ? a.EnumerateArray().Select(x => x.GetString()).OfType<string>().ToList() : [];
        if (modelType != "m2m_100" || (architectures.Count > 0 && !architectures.Contains(Architecture)))
        {
            string named = architectures.Count > 0 ? string.Join(", ", architectures) : "unknown architecture";
            throw new ModelToolException($"{hfDirectory} holds a {named} checkpoint (model_type '{modelType ?? "missing"}'); only {Architecture} (model_type m2m_100: NLLB-200, M2M100) can be converted");
        }
        return config;
    }

    private static Ct2DataType ParseTorchDtype(string? dtype) => dtype switch
    {
        null or "float32" => Ct2DataType.Float32,
        "float16" => Ct2DataType.Float16,
        "bfloat16" => Ct2DataType.BFloat16,
        _ => throw new ModelToolException($"config.json torch_dtype '{dtype}' is not supported (float32, float16 or bfloat16)"),
    };

    private static string? Str(JsonElement config, string key) =>
        config.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int Int(JsonElement config, string key, int? fallback = null)
    {
        if (config.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int value))
            return value;
        return fallback ?? throw new ModelToolException($"config.json has no integer '{key}'");
    }
}
