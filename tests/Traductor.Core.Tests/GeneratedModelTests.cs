using Traductor.Models.Generation;

namespace Traductor.Core.Tests;

/// <summary>The pipeline on models the project makes itself (<c>traductor model make-test</c>) and on the int8 golden model.</summary>
public sealed class GeneratedModelTests
{
    [GoldenFact]
    public async Task A_generated_smoke_model_loads_with_its_own_tokenizer_and_keeps_the_layout()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"traductor-core-make-test-{Guid.NewGuid():N}");
        try
        {
            TestModelGenerator.Generate(new TestModelOptions
            {
                Shape = TestModelGenerator.NamedShape("tiny"),
                SentencePieceModel = TestEnvironment.UnigramTokenizer,
                OutputDirectory = dir,
                Seed = 7,
            });
            // No TokenizerPath: the generator puts sentencepiece.bpe.model beside the weights, as `make convert` does.
            await using var service = TranslationService.Load(new TranslationServiceOptions { ModelPath = dir, DefaultMaxNewTokens = 12, IntraThreads = 1 });
            Assert.True(service.Model.IsSmokeModel);
            foreach (var (fixture, direction) in new[] { ("es-multiparagraph.txt", Direction.EsDa), ("da-multiparagraph.txt", Direction.DaEs) })
            {
                var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", fixture));
                var result = (await service.TranslateAsync([text], direction, new TranslateOptions(), CancellationToken.None)).Single();
                Assert.Equal(14, result.Segments);
                Assert.Equal(LineShape(text), LineShape(result.Translation));
            }
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, true);
            }
        }
    }

    [GoldenFact]
    public async Task The_int8_golden_model_translates()
    {
        await using var service = TranslationService.Load(TinyModel.Options with { ModelPath = TestEnvironment.TinyInt8Model, ComputeType = "int8" });
        var result = (await service.TranslateAsync(["Hola.\n\nAdiós."], Direction.EsDa, new TranslateOptions(), CancellationToken.None)).Single();
        Assert.Equal(2, result.Segments);
        Assert.Contains("\n\n", result.Translation);
        Assert.Contains("\"compute_type\"", service.Model.EngineJson);
    }

    /// <summary>Per line: blank or not, and its leading and trailing whitespace.</summary>
    private static string[] LineShape(string text) =>
        [.. text.Split('\n').Select(l => string.IsNullOrWhiteSpace(l) ? $"blank:{l}" : $"{l[..(l.Length - l.TrimStart().Length)]}|{l[l.TrimEnd().Length..]}")];
}
