using System.Globalization;
using Traductor.Models.Checkpoints;
using Traductor.Models.Ct2;

namespace Traductor.Cli.Commands;

internal static class ModelConvertCommand
{
    public const string Usage = "traductor model convert --from HF_DIR --to CT2_DIR [--quantization int8|int8_float32|int8_float16|float16|float32] [--force]";

    public static Task<int> RunAsync(string[] args)
    {
        var a = ModelArguments.Parse(args, new HashSet<string> { "force" });
        string from = a.Require("from");
        string to = a.Require("to");
        var quantization = Quantizations.Parse(a.Get("quantization"));
        bool force = a.Flag("force");
        a.RejectUnknown();
        Console.Error.WriteLine($"converting {from} → {to} (quantization {quantization.Name()})");
        var result = M2M100Converter.Convert(from, to, quantization, force, message => Console.Error.WriteLine("  " + message));
        var s = result.Shape;
        Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"wrote {result.Directory}: {s.EncoderLayers}+{s.DecoderLayers} layers, d_model {s.DModel}, {s.Heads} heads, ffn {s.Ffn}, vocabulary {s.VocabularySize}, loaded as {result.LoadType.Name()}, quantization {quantization.Name()}, {result.Model.ParameterCount:N0} parameters, model.bin {result.Model.FileBytes / 1e6:F1} MB in {result.Elapsed.TotalSeconds:F1} s"));
        return Task.FromResult(0);
    }
}
