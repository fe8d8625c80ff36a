using System.Text.Json;
using System.Text.Json.Nodes;
using Traductor.Native;

namespace Traductor.Core.Tests;

/// <summary>The golden tiny model with the golden tokenizer, and an independent reference translation straight through the bindings.</summary>
internal static class TinyModel
{
    public static TranslationServiceOptions Options => new()
    {
        ModelPath = TestEnvironment.TinyModel,
        TokenizerPath = TestEnvironment.UnigramTokenizer,
        // Random weights rarely emit </s>: a small budget keeps the tests fast.
        DefaultMaxNewTokens = 24,
        BeamSize = 2,
        IntraThreads = 1,
    };

    /// <summary>
    /// What the product must return for one sentence, computed without any Core code: NLLB framing,
    /// one translate_batch call, language and end tokens dropped, SentencePiece decoding.
    /// </summary>
    public static (string Text, bool HitBudget) Reference(string sentence, Direction direction, int beam, int maxNewTokens)
    {
        using var tokenizer = NativeTokenizer.Load(TestEnvironment.UnigramTokenizer);
        using var translator = NativeTranslator.Load(TestEnvironment.TinyModel, new TranslatorConfig { IntraThreads = 1 });
        var (src, tgt) = direction == Direction.EsDa ? ("spa_Latn", "dan_Latn") : ("dan_Latn", "spa_Latn");
        IReadOnlyList<string> source = [src, .. tokenizer.Encode(sentence), "</s>"];
        var result = translator.TranslateBatch(
            [source],
            [[tgt]],
            new DecodingOptions { BeamSize = beam, MaxDecodingLength = maxNewTokens + 1, ReturnEndToken = true, MaxInputLength = 0 });
        var hypothesis = result[0].Hypotheses[0];
        Assert.Equal(tgt, hypothesis[0]);
        var ended = hypothesis[^1] == "</s>";
        var pieces = hypothesis.Skip(1).Take(hypothesis.Count - 1 - (ended ? 1 : 0))
            .Where(t => t is not ("spa_Latn" or "dan_Latn" or "eng_Latn" or "<s>" or "</s>" or "<pad>" or "<unk>" or "<mask>"))
            .ToList();
        return (tokenizer.Decode(pieces).Trim(), !ended);
    }

    /// <summary>A copy of the tiny model in a temporary directory, with the vocabulary and config changed by the callers.</summary>
    public static string CopyWith(Func<JsonArray, JsonArray>? vocabulary = null, Action<JsonObject>? config = null)
    {
        var dir = Directory.CreateTempSubdirectory("traductor-core-model-").FullName;
        File.Copy(Path.Combine(TestEnvironment.TinyModel, "model.bin"), Path.Combine(dir, "model.bin"));
        var vocab = JsonNode.Parse(File.ReadAllText(Path.Combine(TestEnvironment.TinyModel, "shared_vocabulary.json")))!.AsArray();
        File.WriteAllText(Path.Combine(dir, "shared_vocabulary.json"), (vocabulary?.Invoke(vocab) ?? vocab).ToJsonString());
        var configJson = JsonNode.Parse(File.ReadAllText(Path.Combine(TestEnvironment.TinyModel, "config.json")))!.AsObject();
        config?.Invoke(configJson);
        File.WriteAllText(Path.Combine(dir, "config.json"), configJson.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return dir;
    }

    public static JsonArray Rename(JsonArray vocabulary, string from, string to)
    {
        for (var i = 0; i < vocabulary.Count; i++)
        {
            if (vocabulary[i]!.GetValue<string>() == from)
            {
                vocabulary[i] = to;
            }
        }
        return vocabulary;
    }
}
