using System.Text.Json;

namespace Traductor.Native.Tests;

/// <summary>Reads ../shared/golden case files (see golden/README.md, "Case format").</summary>
internal static class GoldenCases
{
    public static string ModelDir(string model) => Path.Combine(TestEnvironment.GoldenDir, "models", model);

    public static IEnumerable<TranslationCase> Translations(string model) =>
        File.ReadLines(Path.Combine(TestEnvironment.GoldenDir, "cases", model + ".jsonl")).Select(line =>
        {
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            var prefix = root.GetProperty("target_prefix");
            return new TranslationCase(
                root.GetProperty("id").GetString()!,
                root.GetProperty("compute_type").GetString()!,
                TokenLists(root.GetProperty("source")),
                prefix.ValueKind == JsonValueKind.Null ? null : TokenLists(prefix),
                Options(root.GetProperty("options")),
                root.GetProperty("expected").EnumerateArray().Select(e => new TranslationResult(
                    TokenLists(e.GetProperty("hypotheses")),
                    e.GetProperty("scores").EnumerateArray().Select(s => (float)s.GetDouble()).ToArray())).ToArray());
        });

    public static IEnumerable<ScoringCase> Scorings(string model) =>
        File.ReadLines(Path.Combine(TestEnvironment.GoldenDir, "scoring", model + ".jsonl")).Select(line =>
        {
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            return new ScoringCase(
                root.GetProperty("id").GetString()!,
                root.GetProperty("compute_type").GetString()!,
                TokenLists(root.GetProperty("source")),
                TokenLists(root.GetProperty("target")),
                Options(root.GetProperty("options")),
                root.GetProperty("expected").EnumerateArray().Select(e => new ScoringResult(
                    Tokens(e.GetProperty("tokens")),
                    e.GetProperty("log_probs").EnumerateArray().Select(s => (float)s.GetDouble()).ToArray())).ToArray());
        });

    private static string[] Tokens(JsonElement list) => list.EnumerateArray().Select(t => t.GetString()!).ToArray();

    private static IReadOnlyList<string>[] TokenLists(JsonElement lists) =>
        lists.EnumerateArray().Select(l => (IReadOnlyList<string>)Tokens(l)).ToArray();

    // CTranslate2's Python keyword names → DecodingOptions.
    private static DecodingOptions Options(JsonElement options)
    {
        var result = new DecodingOptions();
        foreach (var option in options.EnumerateObject())
        {
            var v = option.Value;
            result = option.Name switch
            {
                "beam_size" => result with { BeamSize = v.GetInt32() },
                "patience" => result with { Patience = v.GetSingle() },
                "num_hypotheses" => result with { NumHypotheses = v.GetInt32() },
                "length_penalty" => result with { LengthPenalty = v.GetSingle() },
                "coverage_penalty" => result with { CoveragePenalty = v.GetSingle() },
                "repetition_penalty" => result with { RepetitionPenalty = v.GetSingle() },
                "no_repeat_ngram_size" => result with { NoRepeatNgramSize = v.GetInt32() },
                "disable_unk" => result with { DisableUnk = v.GetBoolean() },
                "suppress_sequences" => result with { SuppressSequences = TokenLists(v) },
                "end_token" => result with { EndTokens = v.ValueKind == JsonValueKind.String ? [v.GetString()!] : Tokens(v) },
                "return_end_token" => result with { ReturnEndToken = v.GetBoolean() },
                "max_input_length" => result with { MaxInputLength = v.GetInt32() },
                "max_decoding_length" => result with { MaxDecodingLength = v.GetInt32() },
                "min_decoding_length" => result with { MinDecodingLength = v.GetInt32() },
                "return_scores" => result with { ReturnScores = v.GetBoolean() },
                "max_batch_size" => result with { MaxBatchSize = v.GetInt32() },
                "batch_type" => result with { BatchType = v.GetString()! },
                _ => throw new NotSupportedException($"golden option {option.Name} is not mapped"),
            };
        }

        return result;
    }
}

internal sealed record TranslationCase(
    string Id, string ComputeType, IReadOnlyList<string>[] Source, IReadOnlyList<string>[]? TargetPrefix,
    DecodingOptions Options, TranslationResult[] Expected);

internal sealed record ScoringCase(
    string Id, string ComputeType, IReadOnlyList<string>[] Source, IReadOnlyList<string>[] Target,
    DecodingOptions Options, ScoringResult[] Expected);
