using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Traductor.Core;
using Traductor.Server.Settings;

namespace Traductor.Server.Http;

/// <summary>
/// Turns a JSON body into a <see cref="TranslateRequest"/>. Accepts the product's own shape
/// (<c>text</c> or <c>texts</c>, <c>direction</c>) and what DeepL and LibreTranslate clients send
/// (<c>text</c> as an array, <c>q</c>, <c>source_lang</c>/<c>target_lang</c>, <c>source</c>/<c>target</c>).
/// Unknown fields are ignored, as those APIs' clients send extras.
/// </summary>
internal static class TranslateRequestReader
{
    private static readonly string[] TextFields = ["text", "texts", "q"];

    public static TranslateRequest Read(JsonElement root, ServerSettings settings)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw BadRequest("invalid_request", "the request body must be a JSON object");
        var (texts, isBatch) = ReadTexts(root, settings.MaxTextsPerRequest);
        var direction = ReadDirection(root);
        var options = new TranslateOptions
        {
            MaxNewTokens = ReadLimitedInt(root, "max_new_tokens", settings.MaxMaxNewTokens, "MAX_MAX_NEW_TOKENS"),
            BeamSize = ReadLimitedInt(root, "beam_size", settings.MaxBeamSize, "MAX_BEAM_SIZE"),
        };
        return new TranslateRequest(texts, isBatch, direction, options);
    }

    private static (IReadOnlyList<string> Texts, bool IsBatch) ReadTexts(JsonElement root, int maxTexts)
    {
        var present = TextFields.Where(f => root.TryGetProperty(f, out var v) && v.ValueKind != JsonValueKind.Null).ToList();
        if (present.Count == 0)
            throw BadRequest("missing_text", "the request needs \"text\" (a string or an array of strings) or \"texts\" (an array of strings)");
        if (present.Count > 1)
            throw BadRequest("invalid_request", $"send only one of {string.Join(", ", present.Select(p => $"\"{p}\""))}");
        var field = present[0];
        var value = root.GetProperty(field);
        if (value.ValueKind == JsonValueKind.String && field != "texts")
            return ([CheckedText(value, field)], false);
        if (value.ValueKind != JsonValueKind.Array)
            throw BadRequest("invalid_text", field == "texts" ? "\"texts\" must be an array of strings" : $"\"{field}\" must be a string or an array of strings");
        var count = value.GetArrayLength();
        if (count == 0)
            throw BadRequest("empty_text", $"\"{field}\" is an empty array");
        if (count > maxTexts)
            throw new ApiException(StatusCodes.Status413PayloadTooLarge, "too_many_texts", $"\"{field}\" has {count} texts; at most {maxTexts} (MAX_TEXTS_PER_REQUEST)");
        var texts = new List<string>(count);
        foreach (var item in value.EnumerateArray())
            texts.Add(CheckedText(item, $"{field}[{texts.Count}]"));
        return (texts, true);
    }

    /// <summary>Rejects what the tokenizer cannot take faithfully. Messages give positions, never characters of the text.</summary>
    private static string CheckedText(JsonElement element, string name)
    {
        if (element.ValueKind != JsonValueKind.String)
            throw BadRequest("invalid_text", $"{name} must be a string");
        string text;
        try
        {
            text = element.GetString()!;
        }
        catch (InvalidOperationException)
        {
            // System.Text.Json refuses \u escapes that are not valid UTF-16 (a lone surrogate).
            throw BadRequest("invalid_text", $"{name} has an unpaired UTF-16 surrogate (\\u escape)");
        }
        if (string.IsNullOrWhiteSpace(text))
            throw BadRequest("empty_text", $"{name} is empty or only whitespace");
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }
            if (char.IsSurrogate(c))
                throw BadRequest("invalid_text", $"{name} has an unpaired UTF-16 surrogate (\\u escape) at position {i}");
            // Tab, line feed and carriage return carry the layout the translation keeps; other controls
            // (NUL above all, which ends a C string) have no meaning to translate.
            if (char.IsControl(c) && c is not ('\t' or '\n' or '\r'))
                throw BadRequest("invalid_text", $"{name} has control character U+{(int)c:X4} at position {i}; only tab, line feed and carriage return are allowed");
        }
        return text;
    }

    private static Direction ReadDirection(JsonElement root)
    {
        var allowed = string.Join(", ", Directions.All);
        if (root.TryGetProperty("direction", out var value) && value.ValueKind != JsonValueKind.Null)
        {
            if (value.ValueKind == JsonValueKind.String && Directions.TryParse(value.GetString(), out var direction))
                return direction;
            throw BadRequest("unknown_direction", $"\"direction\" must be one of {allowed}");
        }
        var source = LanguageField(root, "source_lang", "source");
        var target = LanguageField(root, "target_lang", "target");
        if (source is null && target is null)
            throw BadRequest("missing_direction", $"the request needs \"direction\" ({allowed}) or \"source_lang\" and \"target_lang\"");
        if (source is not null && target is not null && Directions.TryParse($"{Language(source)}-{Language(target)}", out var pair))
            return pair;
        throw BadRequest("unknown_direction", $"the language pair is not supported; supported directions: {allowed}");
    }

    private static string? LanguageField(JsonElement root, params string[] names)
    {
        foreach (var name in names)
        {
            if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
                continue;
            if (value.ValueKind != JsonValueKind.String)
                throw BadRequest("unknown_direction", $"\"{name}\" must be a language code (es or da)");
            return value.GetString();
        }
        return null;
    }

    /// <summary>Maps the codes clients use (es, ES, spa_Latn) to the two-letter ones of direction codes.</summary>
    private static string Language(string code) => code.Trim().ToLowerInvariant() switch
    {
        "es" or "spa_latn" => "es",
        "da" or "dan_latn" => "da",
        _ => "?",
    };

    private static int? ReadLimitedInt(JsonElement root, string name, int max, string limitName)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            return null;
        if (value.ValueKind != JsonValueKind.Number)
            throw BadRequest("invalid_request", $"\"{name}\" must be an integer");
        if (!value.TryGetInt64(out var number) || number < 1 || number > max)
            throw new ApiException(StatusCodes.Status422UnprocessableEntity, "invalid_option", $"\"{name}\" must be an integer from 1 to {max} ({limitName})");
        return (int)number;
    }

    private static ApiException BadRequest(string code, string message) => new(StatusCodes.Status400BadRequest, code, message);
}
