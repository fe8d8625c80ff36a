using System.Diagnostics;
using System.Text;
using Traductor.Models.Ct2;
using Traductor.Models.Tokenizers;

namespace Traductor.Models.Generation;

public sealed record TestModelOptions
{
    public required TransformerShape Shape { get; init; }   // VocabularySize 0 = just what the tokenizer and language codes need
    public required string SentencePieceModel { get; init; }
    public required string OutputDirectory { get; init; }
    public Quantization Quantization { get; init; } = Quantization.Float32;
    public ulong Seed { get; init; } = 1;
    public IReadOnlyList<string> LanguageCodes { get; init; } = FloresLanguages.Minimal;
    public bool Replace { get; init; }
}

public sealed record TestModelResult(string Directory, TransformerShape Shape, Ct2WriteSummary Model, int VocabularySize, TimeSpan Elapsed);

/// <summary>
/// Writes a random-weight ("smoke") CT2 model directory: the same TransformerSpec, config and
/// vocabulary layout the converter produces for NLLB, with the golden models' initialisation
/// (golden/README.md "Random initialisation": gain 4, ×8 on output projections, zero-sum FFN
/// output rows) so greedy output is varied rather than one token repeated.
/// </summary>
public static class TestModelGenerator
{
    public const string SmokeModelKey = "traductor_smoke_model";

    /// <summary>The named shapes of <c>traductor model make-test --shape</c>; vocabulary 0 = derived from the tokenizer.</summary>
    public static TransformerShape NamedShape(string name) => name switch
    {
        "tiny" => new(2, 2, 64, 4, 256, 0, 1024),
        "small" => new(3, 2, 128, 8, 512, 0, 1024),
        "nllb-600m" => new(12, 12, 1024, 16, 4096, 256206, 1024),
        "nllb-1.3b" => new(24, 24, 1024, 16, 8192, 256206, 1024),
        _ => throw new ModelToolException($"unknown shape '{name}' (expected tiny, small, nllb-600m, nllb-1.3b or custom)"),
    };

    public static TestModelResult Generate(TestModelOptions options, Action<string>? log = null)
    {
        var clock = Stopwatch.StartNew();
        var spm = Tokenizers.SentencePieceModel.Load(options.SentencePieceModel);
        var tokens = NllbVocabulary.ForTestModel(spm, options.LanguageCodes, options.Shape.VocabularySize > 0 ? options.Shape.VocabularySize : null);
        var shape = options.Shape with { VocabularySize = tokens.Count };
        shape.Validate();
        if (options.Quantization is not (Quantization.Float32 or Quantization.Int8 or Quantization.Int8Float32 or Quantization.Float16 or Quantization.BFloat16))
            throw new ModelToolException($"make-test writes float32, int8, float16 or bfloat16 models, not '{options.Quantization.Name()}'");

        var embeddings = new RandomNormalSource(RandomNormalSource.SeedFor(options.Seed, "decoder/embeddings/weight"),
            [shape.VocabularySize, shape.DModel], 0, 2f / MathF.Sqrt(shape.DModel), zeroRow: 1);
        var positions = new SinusoidalPositionSource(shape.PositionRows, shape.DModel);
        TensorSource Tensor(string name)
        {
            if (name is "decoder/embeddings/weight" or "encoder/embeddings_0/weight" or "decoder/projection/weight")
                return embeddings;
            if (name.EndsWith("/encodings", StringComparison.Ordinal))
                return positions;
            var dims = TransformerSpec.ExpectedShape(shape, name);
            ulong seed = RandomNormalSource.SeedFor(options.Seed, name);
            if (name.EndsWith("/gamma", StringComparison.Ordinal))
                return new RandomNormalSource(seed, dims, 1f, 0.1f);
            if (name.EndsWith("/beta", StringComparison.Ordinal) || name.EndsWith("/bias", StringComparison.Ordinal))
                return new RandomNormalSource(seed, dims, 0f, 0.02f);
            bool output = name.Contains("/self_attention/linear_1/", StringComparison.Ordinal)
                || name.Contains("/attention/linear_2/", StringComparison.Ordinal)
                || name.Contains("/ffn/linear_1/", StringComparison.Ordinal);
            float std = 4f / MathF.Sqrt(dims[1]) * (output ? 8f : 1f);
            return new RandomNormalSource(seed, dims, 0f, std, centreRows: name.Contains("/ffn/linear_1/", StringComparison.Ordinal));
        }

        var variables = TransformerSpec.Variables(shape, Tensor);
        using var output = OutputDirectory.Create(options.OutputDirectory, options.Replace);
        File.WriteAllText(output.File("shared_vocabulary.json"), PythonJson.TokenList(tokens), new UTF8Encoding(false));
        var summary = Ct2ModelWriter.Write(output.File("model.bin"), TransformerSpec.Name, TransformerSpec.Revision, variables,
            options.Quantization == Quantization.Float32 ? Quantization.None : options.Quantization, log);
        var config = TransformerSpec.Config(new SpecialTokens("<s>", "</s>", "<unk>", "</s>"),
            new Dictionary<string, object?> { [SmokeModelKey] = true });
        File.WriteAllText(output.File("config.json"), PythonJson.SortedObject(config), new UTF8Encoding(false));
        File.Copy(options.SentencePieceModel, output.File("sentencepiece.bpe.model"));
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(output.File("sentencepiece.bpe.model"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        output.Commit();
        return new TestModelResult(Path.GetFullPath(options.OutputDirectory), shape, summary, tokens.Count, clock.Elapsed);
    }
}
