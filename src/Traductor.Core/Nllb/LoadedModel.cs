using System.Text.Json;
using Traductor.Native;

namespace Traductor.Core.Nllb;

/// <summary>A translator and its tokenizer, loaded and checked to belong together.</summary>
internal sealed class LoadedModel : IDisposable
{
    /// <summary>The tokenizer file NLLB repositories ship beside the model (`make convert` copies it into the model directory).</summary>
    public const string TokenizerFileName = "sentencepiece.bpe.model";

    /// <summary>Encoder/decoder positions assumed when the engine does not report its position table.</summary>
    private const int DefaultPositionRows = 1024;

    private LoadedModel(NativeTokenizer tokenizer, NativeTranslator translator, string path, string tokenizerPath)
    {
        Tokenizer = tokenizer;
        Translator = translator;
        Path = path;
        TokenizerPath = tokenizerPath;
    }

    public NativeTokenizer Tokenizer { get; }

    public NativeTranslator Translator { get; }

    public string Path { get; }

    public string TokenizerPath { get; }

    /// <summary>Vocabulary entries that are not text (language codes, &lt;pad&gt;, ...).</summary>
    public IReadOnlySet<string> SpecialTokens { get; private set; } = new HashSet<string>();

    /// <summary>Rows of the position table: the longest sequence encoder and decoder can take.</summary>
    public int PositionRows { get; private set; } = DefaultPositionRows;

    /// <summary>Characters of the longest piece: bounds how much text one token can cover.</summary>
    public int LongestPieceChars { get; private set; } = 1;

    public bool IsSmokeModel { get; private set; }

    public static LoadedModel Load(TranslationServiceOptions options)
    {
        var path = System.IO.Path.GetFullPath(options.ModelPath);
        if (!Directory.Exists(path))
        {
            throw new ModelLoadException($"model directory {path} does not exist (MODEL_PATH)");
        }
        var tokenizerPath = System.IO.Path.GetFullPath(options.TokenizerPath ?? System.IO.Path.Combine(path, TokenizerFileName));
        if (!File.Exists(tokenizerPath))
        {
            throw new ModelLoadException(options.TokenizerPath is null
                ? $"tokenizer {tokenizerPath} not found: copy the model's {TokenizerFileName} into the model directory or set TOKENIZER_PATH"
                : $"tokenizer {tokenizerPath} not found (TOKENIZER_PATH)");
        }
        var isSmoke = ReadSmokeFlag(path);
        NativeTokenizer? tokenizer = null;
        NativeTranslator? translator = null;
        try
        {
            tokenizer = Wrap(() => NativeTokenizer.Load(tokenizerPath), $"tokenizer {tokenizerPath}");
            var config = new TranslatorConfig
            {
                ComputeType = options.ComputeType,
                InterThreads = options.InterThreads,
                IntraThreads = options.IntraThreads,
            };
            translator = Wrap(() => NativeTranslator.Load(path, config), $"model {path}");
            var model = new LoadedModel(tokenizer, translator, path, tokenizerPath) { IsSmokeModel = isSmoke };
            model.Inspect();
            return model;
        }
        catch
        {
            translator?.Dispose();
            tokenizer?.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Translator.Dispose();
        Tokenizer.Dispose();
    }

    private void Inspect()
    {
        var vocabulary = new string[Translator.VocabularySize];
        for (var i = 0; i < vocabulary.Length; i++)
        {
            vocabulary[i] = Translator.VocabularyToken(i);
        }
        var pieces = new string[Tokenizer.PieceCount];
        var longest = 1;
        for (var i = 0; i < pieces.Length; i++)
        {
            pieces[i] = Tokenizer.Piece(i);
            longest = Math.Max(longest, pieces[i].Length);
        }
        SpecialTokens = ModelCompatibility.Check(vocabulary, pieces, Path, TokenizerPath);
        LongestPieceChars = longest;
        PositionRows = ReadPositionRows(Translator.DescribeJson) ?? DefaultPositionRows;
    }

    private static int? ReadPositionRows(string describeJson)
    {
        try
        {
            using var document = JsonDocument.Parse(describeJson);
            return document.RootElement.TryGetProperty("position_rows", out var rows) && rows.TryGetInt32(out var value) && value > 0 ? value : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Smoke models (random weights, `traductor model make-test`) say so in config.json.</summary>
    private static bool ReadSmokeFlag(string modelPath)
    {
        var configPath = System.IO.Path.Combine(modelPath, "config.json");
        if (!File.Exists(configPath))
        {
            return false;
        }
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(configPath));
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("traductor_smoke_model", out var flag)
                && flag.ValueKind == JsonValueKind.True;
        }
        catch (JsonException e)
        {
            throw new ModelLoadException($"model {modelPath}: config.json is not valid JSON ({e.Message})", e);
        }
    }

    private static T Wrap<T>(Func<T> load, string what)
    {
        try
        {
            return load();
        }
        catch (TraductorNativeException e)
        {
            throw new ModelLoadException($"{what}: {e.Message}", e);
        }
        catch (NativeLibraryLoadException e)
        {
            throw new ModelLoadException($"native library: {e.Message}", e);
        }
    }
}
