using Traductor.Core.Nllb;

namespace Traductor.Core.Tests;

public sealed class ModelLoadTests
{
    [Fact]
    public void A_vocabulary_without_a_language_code_is_refused()
    {
        var error = Assert.Throws<ModelLoadException>(() =>
            ModelCompatibility.Check(["<s>", "<pad>", "</s>", "<unk>", "▁hola", "spa_Latn"], ["<unk>", "<s>", "</s>", "▁hola"], "/m", "/t"));
        Assert.Contains("dan_Latn", error.Message);
        Assert.Contains("/m", error.Message);
        Assert.Equal("model_load_failed", error.Code);
    }

    [Fact]
    public void Tokenizer_pieces_missing_from_the_vocabulary_are_refused_but_control_pieces_are_allowed()
    {
        string[] vocabulary = ["<s>", "<pad>", "</s>", "<unk>", "▁hola", "spa_Latn", "dan_Latn"];
        var error = Assert.Throws<ModelLoadException>(() =>
            ModelCompatibility.Check(vocabulary, ["<unk>", "<s>", "</s>", "▁hola", "▁adiós"], "/m", "/t"));
        Assert.Contains("1 of its 5 pieces", error.Message);
        Assert.Contains("\"▁adiós\"", error.Message);
        var specials = ModelCompatibility.Check(["<s>", "<pad>", "</s>", "▁hola", "spa_Latn", "dan_Latn"], ["<unk>", "<s>", "</s>", "▁hola"], "/m", "/t");
        Assert.Equal(new HashSet<string> { "<s>", "<pad>", "</s>", "<unk>", "spa_Latn", "dan_Latn" }, specials);
    }

    [Fact]
    public void A_missing_model_directory_is_named()
    {
        var error = Assert.Throws<ModelLoadException>(() => TranslationService.Load(new TranslationServiceOptions { ModelPath = "/no/such/model" }));
        Assert.Contains("/no/such/model", error.Message);
    }

    [Fact]
    public void A_missing_tokenizer_is_named_with_the_way_to_fix_it()
    {
        var dir = Directory.CreateTempSubdirectory("traductor-core-empty-").FullName;
        try
        {
            var error = Assert.Throws<ModelLoadException>(() => TranslationService.Load(new TranslationServiceOptions { ModelPath = dir }));
            Assert.Contains(Path.Combine(dir, "sentencepiece.bpe.model"), error.Message);
            Assert.Contains("TOKENIZER_PATH", error.Message);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Options_out_of_range_are_named()
    {
        var error = Assert.Throws<ArgumentException>(() => TranslationService.Load(new TranslationServiceOptions { ModelPath = "/m", MaxMaxNewTokens = 10 }));
        Assert.Contains("MaxMaxNewTokens", error.Message);
    }

    [GoldenFact]
    public void A_model_without_danish_is_refused_at_load()
    {
        var dir = TinyModel.CopyWith(vocabulary: v => TinyModel.Rename(v, "dan_Latn", "deu_Latn"));
        try
        {
            var error = Assert.Throws<ModelLoadException>(() => TranslationService.Load(TinyModel.Options with { ModelPath = dir }));
            Assert.Contains("dan_Latn", error.Message);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [GoldenFact]
    public void A_tokenizer_that_does_not_match_the_model_is_refused_at_load()
    {
        var dir = TinyModel.CopyWith(vocabulary: v => TinyModel.Rename(v, "▁de", "▁xx_renamed"));
        try
        {
            var error = Assert.Throws<ModelLoadException>(() => TranslationService.Load(TinyModel.Options with { ModelPath = dir }));
            Assert.Contains("\"▁de\"", error.Message);
            Assert.Contains(TestEnvironment.UnigramTokenizer, error.Message);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [GoldenFact]
    public async Task The_smoke_flag_in_config_json_is_reported()
    {
        var dir = TinyModel.CopyWith(config: c => c["traductor_smoke_model"] = true);
        try
        {
            await using var service = TranslationService.Load(TinyModel.Options with { ModelPath = dir });
            Assert.True(service.Model.IsSmokeModel);
            Assert.Equal(dir, service.Model.Path);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [GoldenFact]
    public void The_default_tokenizer_sits_in_the_model_directory()
    {
        var dir = TinyModel.CopyWith();
        try
        {
            File.Copy(TestEnvironment.UnigramTokenizer, Path.Combine(dir, "sentencepiece.bpe.model"));
            var task = TranslationService.Load(new TranslationServiceOptions { ModelPath = dir, IntraThreads = 1 }).DisposeAsync();
            Assert.True(task.AsTask().Wait(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
