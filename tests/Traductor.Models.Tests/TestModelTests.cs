using Traductor.Models.Ct2;
using Traductor.Models.Generation;
using Traductor.Models.Tokenizers;

namespace Traductor.Models.Tests;

public sealed class TestModelTests
{
    private static TestModelResult Make(TemporaryDirectory tmp, string shape, Quantization q, ulong seed = 1, string dir = "model") =>
        TestModelGenerator.Generate(new TestModelOptions
        {
            Shape = TestModelGenerator.NamedShape(shape),
            SentencePieceModel = TestEnvironment.UnigramModel,
            OutputDirectory = tmp.Combine(dir),
            Quantization = q,
            Seed = seed,
        });

    [GoldenTheory]
    [InlineData("tiny-f32", Quantization.Float32)]
    [InlineData("tiny-int8", Quantization.Int8)]
    public void Tiny_smoke_model_has_the_golden_models_variables_dtypes_shapes_aliases_and_vocabulary(string golden, Quantization q)
    {
        using var tmp = new TemporaryDirectory();
        var result = Make(tmp, "tiny", q);
        string goldenDir = Path.Combine(TestEnvironment.GoldenDir, "models", golden);
        using var made = Ct2ModelReader.Open(Path.Combine(result.Directory, "model.bin"));
        using var expected = Ct2ModelReader.Open(Path.Combine(goldenDir, "model.bin"));
        Assert.Equal(expected.Variables.Select(v => (v.Name, v.DataType, string.Join('x', v.Shape))),
                     made.Variables.Select(v => (v.Name, v.DataType, string.Join('x', v.Shape))));
        Assert.Equal(expected.Aliases, made.Aliases);
        Assert.Equal((expected.BinaryVersion, expected.SpecName, expected.SpecRevision), (made.BinaryVersion, made.SpecName, made.SpecRevision));
        Assert.Equal(0, made.TrailingBytes);
        foreach (var scalar in expected.Variables.Where(v => v.Shape.Count == 0))
            Assert.Equal(expected.ReadScalar(scalar.Name), made.ReadScalar(scalar.Name));
        // Same tokenizer, same fairseq layout and language codes: the vocabulary file is byte-identical.
        Assert.Equal(File.ReadAllBytes(Path.Combine(goldenDir, "shared_vocabulary.json")), File.ReadAllBytes(Path.Combine(result.Directory, "shared_vocabulary.json")));
        var config = File.ReadAllText(Path.Combine(result.Directory, "config.json"));
        Assert.Equal(File.ReadAllText(Path.Combine(goldenDir, "config.json")).Replace("  \"unk_token\"", "  \"traductor_smoke_model\": true,\n  \"unk_token\"", StringComparison.Ordinal), config);
        Assert.Equal(File.ReadAllBytes(TestEnvironment.UnigramModel), File.ReadAllBytes(Path.Combine(result.Directory, "sentencepiece.bpe.model")));
        Assert.Equal(["config.json", "model.bin", "sentencepiece.bpe.model", "shared_vocabulary.json"], Directory.GetFiles(result.Directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [GoldenFact]
    public void Same_seed_gives_identical_files_and_another_seed_different_weights()
    {
        using var tmp = new TemporaryDirectory();
        var a = Make(tmp, "tiny", Quantization.Int8, seed: 7, dir: "a");
        var b = Make(tmp, "tiny", Quantization.Int8, seed: 7, dir: "b");
        var c = Make(tmp, "tiny", Quantization.Int8, seed: 8, dir: "c");
        byte[] Bin(TestModelResult r) => File.ReadAllBytes(Path.Combine(r.Directory, "model.bin"));
        Assert.Equal(Bin(a), Bin(b));
        Assert.NotEqual(Bin(a), Bin(c));
    }

    [GoldenFact]
    public void Weights_follow_the_golden_initialisation_recipe()
    {
        using var tmp = new TemporaryDirectory();
        var result = Make(tmp, "small", Quantization.Float32);
        using var model = Ct2ModelReader.Open(Path.Combine(result.Directory, "model.bin"));
        static double Std(float[] v) { double m = v.Average(); return Math.Sqrt(v.Sum(x => (x - m) * (x - m)) / v.Length); }
        int d = 128;
        var emb = model.ReadFloats(model.Get("decoder/embeddings/weight"));
        Assert.Equal(2 / Math.Sqrt(d), Std(emb), 0.01);
        Assert.All(emb.AsSpan(d, d).ToArray(), x => Assert.Equal(0f, x));   // <pad> row
        var qkv = model.ReadFloats(model.Get("encoder/layer_0/self_attention/linear_0/weight"));
        Assert.Equal(4 / Math.Sqrt(d), Std(qkv), 0.01);
        var ffnOut = model.ReadFloats(model.Get("encoder/layer_0/ffn/linear_1/weight"));
        Assert.Equal(32 / Math.Sqrt(512), Std(ffnOut), 0.05);
        for (int r = 0; r < d; r++)
            Assert.True(Math.Abs(ffnOut.AsSpan(r * 512, 512).ToArray().Sum()) < 1e-3, $"ffn/linear_1 row {r} is not centred");
        var gamma = model.ReadFloats(model.Get("decoder/layer_norm/gamma"));
        Assert.Equal(1, gamma.Average(), 0.05);
        Assert.Equal(0.1, Std(gamma), 0.03);
    }

    [GoldenFact]
    public void Nllb_shaped_vocabulary_has_the_flores_codes_mask_and_madeupwords_up_to_256206()
    {
        var spm = SentencePieceModel.Load(TestEnvironment.UnigramModel);
        var tokens = NllbVocabulary.ForTestModel(spm, FloresLanguages.Codes, 256206);
        Assert.Equal(256206, tokens.Count);
        Assert.Equal(["<s>", "<pad>", "</s>", "<unk>"], tokens.Take(4));
        Assert.Equal(spm.Pieces[3].Piece, tokens[4]);
        Assert.Equal("ace_Arab", tokens[spm.Count + 1]);
        Assert.Equal("zul_Latn", tokens[spm.Count + 202]);
        Assert.Equal("<mask>", tokens[spm.Count + 203]);
        Assert.Equal("madeupword0", tokens[spm.Count + 204]);
        Assert.Contains("spa_Latn", tokens);
        Assert.Contains("dan_Latn", tokens);
        Assert.Equal(tokens.Count, tokens.Distinct().Count());
    }

    [GoldenFact]
    public void Refuses_to_overwrite_an_existing_directory_and_leaves_nothing_behind_on_failure()
    {
        using var tmp = new TemporaryDirectory();
        Directory.CreateDirectory(tmp.Combine("model"));
        File.WriteAllText(tmp.Combine("model", "keep.txt"), "x");
        var e = Assert.Throws<ModelToolException>(() => Make(tmp, "tiny", Quantization.Float32));
        Assert.Contains("already exists", e.Message, StringComparison.Ordinal);
        Assert.Throws<ModelToolException>(() => TestModelGenerator.Generate(new TestModelOptions
        {
            Shape = TestModelGenerator.NamedShape("tiny") with { VocabularySize = 10 },
            SentencePieceModel = TestEnvironment.UnigramModel,
            OutputDirectory = tmp.Combine("small-vocab"),
        }));
        Assert.Equal(["model"], Directory.GetFileSystemEntries(tmp.Path).Select(Path.GetFileName));
    }
}
