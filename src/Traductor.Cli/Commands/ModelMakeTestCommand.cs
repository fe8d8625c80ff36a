using System.Globalization;
using Traductor.Models;
using Traductor.Models.Ct2;
using Traductor.Models.Generation;
using Traductor.Models.Tokenizers;

namespace Traductor.Cli.Commands;

internal static class ModelMakeTestCommand
{
    public const string Usage =
        "traductor model make-test --shape tiny|small|nllb-600m|nllb-1.3b|custom --spm FILE --out DIR " +
        "[--quantization float32|int8] [--seed N] [--languages minimal|flores200] [--force] " +
        "[custom: --layers N | --encoder-layers N --decoder-layers N, --d-model N, --heads N, --ffn N, --vocab N, --positions N]";

    public static Task<int> RunAsync(string[] args)
    {
        var a = ModelArguments.Parse(args, new HashSet<string> { "force" });
        string shapeName = a.Require("shape");
        var shape = shapeName == "custom" ? new TransformerShape(0, 0, 0, 0, 0, 0, 1024) : TestModelGenerator.NamedShape(shapeName);
        int? layers = a.Int("layers");
        shape = shape with
        {
            EncoderLayers = a.Int("encoder-layers") ?? layers ?? shape.EncoderLayers,
            DecoderLayers = a.Int("decoder-layers") ?? layers ?? shape.DecoderLayers,
            DModel = a.Int("d-model") ?? shape.DModel,
            Heads = a.Int("heads") ?? shape.Heads,
            Ffn = a.Int("ffn") ?? shape.Ffn,
            VocabularySize = a.Int("vocab") ?? shape.VocabularySize,
            PositionRows = a.Int("positions") ?? shape.PositionRows,
        };
        if (shapeName == "custom" && (shape.EncoderLayers == 0 || shape.DecoderLayers == 0 || shape.DModel == 0 || shape.Heads == 0 || shape.Ffn == 0))
            throw new UsageException("--shape custom needs --layers (or --encoder-layers and --decoder-layers), --d-model, --heads and --ffn");
        string languages = a.Get("languages") ?? (shapeName.StartsWith("nllb", StringComparison.Ordinal) ? "flores200" : "minimal");
        var options = new TestModelOptions
        {
            Shape = shape,
            SentencePieceModel = a.Require("spm"),
            OutputDirectory = a.Require("out"),
            Quantization = Quantizations.Parse(a.Get("quantization") ?? "float32"),
            Seed = ulong.Parse(a.Get("seed") ?? "1", NumberStyles.None, CultureInfo.InvariantCulture),
            LanguageCodes = languages switch
            {
                "minimal" => FloresLanguages.Minimal,
                "flores200" => FloresLanguages.Codes,
                _ => throw new UsageException($"--languages must be minimal or flores200, got '{languages}'"),
            },
            Replace = a.Flag("force"),
        };
        a.RejectUnknown();
        var result = TestModelGenerator.Generate(options, message => Console.Error.WriteLine("  " + message));
        var s = result.Shape;
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"wrote SMOKE model (random weights) {result.Directory}: {s.EncoderLayers}+{s.DecoderLayers} layers, d_model {s.DModel}, {s.Heads} heads, ffn {s.Ffn}, vocabulary {result.VocabularySize}, {options.Quantization.Name()}, {result.Model.ParameterCount:N0} parameters, model.bin {result.Model.FileBytes / 1e6:F1} MB in {result.Elapsed.TotalSeconds:F1} s"));
        return Task.FromResult(0);
    }
}
