using System.Text.Json;

namespace Traductor.Models.Tokenizers;

/// <summary>The special-token strings a converted model's config.json names.</summary>
public sealed record SpecialTokens(string Bos, string Eos, string Unk, string DecoderStart);

/// <summary>
/// Builds NLLB token lists: the fairseq layout on top of a SentencePiece model (ids 0–3 =
/// <c>&lt;s&gt; &lt;pad&gt; &lt;/s&gt; &lt;unk&gt;</c>, spm piece i at id i + 1 for i ≥ 3), then what the
/// tokenizer files add, then CTranslate2's converter steps (fact sheet §4.4).
/// </summary>
public static class NllbVocabulary
{
    public static readonly IReadOnlyList<string> FairseqSpecials = ["<s>", "<pad>", "</s>", "<unk>"];
    public const string Mask = "<mask>";

    /// <summary>ids 0..len(spm): what NllbTokenizer's <c>convert_ids_to_tokens</c> gives below its vocab_size.</summary>
    public static List<string> FairseqBase(SentencePieceModel spm)
    {
        if (spm.Count < 3)
            throw new ModelToolException($"the SentencePiece model has {spm.Count} pieces; an NLLB vocabulary needs at least <unk>, <s>, </s>");
        var tokens = new List<string>(spm.Count + 1);
        tokens.AddRange(FairseqSpecials);
        for (int i = 3; i < spm.Count; i++)
            tokens.Add(spm.Pieces[i].Piece);
        return tokens;
    }

    /// <summary>The smoke-model vocabulary: fairseq base, language codes, <c>&lt;mask&gt;</c>, then madeupwords up to <paramref name="size"/>.</summary>
    public static List<string> ForTestModel(SentencePieceModel spm, IReadOnlyList<string> languageCodes, int? size)
    {
        var tokens = FairseqBase(spm);
        tokens.AddRange(languageCodes);
        tokens.Add(Mask);
        if (size is { } target)
        {
            if (target < tokens.Count)
                throw new ModelToolException($"vocabulary size {target} is smaller than the {tokens.Count} tokens the SentencePiece model and language codes need");
            AppendMadeUpWords(tokens, target);
        }
        return tokens;
    }

    private static void AppendMadeUpWords(List<string> tokens, int target)
    {
        for (int i = 0; tokens.Count < target; i++)
            tokens.Add("madeupword" + i.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// The list CTranslate2's M2M100 converter saves for a Hugging Face NLLB checkpoint directory, plus
    /// the special tokens for config.json. Reads <c>sentencepiece.bpe.model</c>, <c>tokenizer_config.json</c>,
    /// <c>special_tokens_map.json</c> (and <c>tokenizer.json</c>'s added tokens when the config has no
    /// <c>added_tokens_decoder</c>).
    /// </summary>
    public static (List<string> Tokens, SpecialTokens Specials) ForCheckpoint(string hfDirectory, int vocabSize, int decoderStartTokenId)
    {
        string spmPath = Path.Combine(hfDirectory, "sentencepiece.bpe.model");
        if (!File.Exists(spmPath))
            throw new ModelToolException($"{hfDirectory} has no sentencepiece.bpe.model (NLLB's tokenizer model); download it with the checkpoint");
        var spm = SentencePieceModel.Load(spmPath);
        var tokenizerConfig = ReadJsonObject(Path.Combine(hfDirectory, "tokenizer_config.json"));
        var specialMap = ReadJsonObject(Path.Combine(hfDirectory, "special_tokens_map.json"));

        string? tokenizerClass = tokenizerConfig is { } tc && tc.TryGetProperty("tokenizer_class", out var cls) && cls.ValueKind == JsonValueKind.String ? cls.GetString() : null;
        if (tokenizerClass is not null && tokenizerClass is not ("NllbTokenizer" or "NllbTokenizerFast"))
            throw new ModelToolException($"{hfDirectory}: tokenizer class '{tokenizerClass}' is not supported (only NLLB's NllbTokenizer with sentencepiece.bpe.model)");

        string Special(string key, string fallback) =>
            TokenString(tokenizerConfig, key) ?? TokenString(specialMap, key) ?? fallback;
        string bos = Special("bos_token", "<s>"), eos = Special("eos_token", "</s>"), unk = Special("unk_token", "<unk>");
        string pad = Special("pad_token", "<pad>"), mask = Special("mask_token", Mask);
        string? sep = TokenString(tokenizerConfig, "sep_token") ?? TokenString(specialMap, "sep_token");
        string? clsToken = TokenString(tokenizerConfig, "cls_token") ?? TokenString(specialMap, "cls_token");
        var additional = TokenList(tokenizerConfig, "additional_special_tokens") ?? TokenList(specialMap, "additional_special_tokens") ?? [];

        // id → token, as the tokenizer's get_vocab() reports it.
        var byId = new SortedDictionary<int, string>();
        var baseTokens = FairseqBase(spm);
        for (int i = 0; i < baseTokens.Count; i++)
            byId[i] = baseTokens[i];

        var added = AddedTokens(tokenizerConfig, Path.Combine(hfDirectory, "tokenizer.json"));
        if (added is not null)
        {
            foreach (var (id, content) in added)
                byId[id] = content;
        }
        else
        {
            // Tokenizer files from before added_tokens_decoder: the fairseq layout NllbTokenizer
            // always had (language codes right after the pieces, then <mask>).
            var codes = additional.Count > 0 ? additional : FloresLanguages.Codes;
            int next = baseTokens.Count;
            foreach (var code in codes)
                byId[next++] = code;
            byId[next] = mask;
        }

        // A special token the files did not place gets the next free id (HF's add_special_tokens order).
        var present = new HashSet<string>(byId.Values, StringComparer.Ordinal);
        var specialsInOrder = new List<string?> { bos, eos, unk, sep, pad, clsToken, mask };
        specialsInOrder.AddRange(additional);
        foreach (var token in specialsInOrder)
        {
            if (token is null || present.Contains(token))
                continue;
            byId[byId.Keys.Max() + 1] = token;
            present.Add(token);
        }

        if (!byId.TryGetValue(decoderStartTokenId, out var decoderStart))
            throw new ModelToolException($"{hfDirectory}: decoder_start_token_id {decoderStartTokenId} is not in the tokenizer's vocabulary");

        // CTranslate2's converter steps (transformers.py: get_vocab sorted by id, then its fixes).
        var tokens = byId.Values.ToList();
        if (tokens.Count > vocabSize)
            tokens.RemoveRange(vocabSize, tokens.Count - vocabSize);
        if (tokens.Count > 0 && tokens[^1] == unk && byId.FirstOrDefault(kv => kv.Value == unk).Key is int unkId && unkId < tokens.Count - 1)
        {
            tokens.RemoveAt(tokens.Count - 1);
            tokens.Insert(unkId, unk);
        }
        var inList = new HashSet<string>(tokens, StringComparer.Ordinal);
        foreach (var token in additional)
            if (inList.Add(token))
                tokens.Add(token);
        AppendMadeUpWords(tokens, vocabSize);
        return (tokens, new SpecialTokens(bos, eos, unk, decoderStart));
    }

    private static List<(int Id, string Content)>? AddedTokens(JsonElement? tokenizerConfig, string tokenizerJsonPath)
    {
        if (tokenizerConfig is { } tc && tc.TryGetProperty("added_tokens_decoder", out var decoder) && decoder.ValueKind == JsonValueKind.Object)
        {
            var list = new List<(int, string)>();
            foreach (var entry in decoder.EnumerateObject())
            {
                if (!int.TryParse(entry.Name, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int id))
                    throw new ModelToolException($"tokenizer_config.json: added_tokens_decoder key '{entry.Name}' is not a token id");
                list.Add((id, TokenContent(entry.Value) ?? throw new ModelToolException($"tokenizer_config.json: added token {id} has no content")));
            }
            return list;
        }
        var tokenizerJson = ReadJsonObject(tokenizerJsonPath);
        if (tokenizerJson is { } tj && tj.TryGetProperty("added_tokens", out var addedTokens) && addedTokens.ValueKind == JsonValueKind.Array)
        {
            var list = new List<(int, string)>();
            foreach (var t in addedTokens.EnumerateArray())
                if (t.TryGetProperty("id", out var id) && id.TryGetInt32(out int value) && TokenContent(t) is { } content)
                    list.Add((value, content));
            return list;
        }
        return null;
    }

    private static JsonElement? ReadJsonObject(string path)
    {
        if (!File.Exists(path))
            return null;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new ModelToolException($"{path} is not a JSON object");
            return doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new ModelToolException($"{path} is not valid JSON: {e.Message}", e);
        }
    }

    private static string? TokenContent(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Object when value.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String => c.GetString(),
        _ => null,
    };

    private static string? TokenString(JsonElement? obj, string key) =>
        obj is { } o && o.TryGetProperty(key, out var v) ? TokenContent(v) : null;

    private static List<string>? TokenList(JsonElement? obj, string key)
    {
        if (obj is not { } o || !o.TryGetProperty(key, out var v) || v.ValueKind != JsonValueKind.Array)
            return null;
        return v.EnumerateArray().Select(TokenContent).OfType<string>().ToList();
    }
}
