using System.Globalization;
using Traductor.Models;
using Traductor.Models.Verification;

namespace Traductor.Cli.Commands;

internal static class ModelVerifyCommand
{
    public const string Usage = "traductor model verify DIR [--text \"Spanish sentence\"] [--no-engine]";

    public static async Task<int> RunAsync(string[] args)
    {
        var a = ModelArguments.Parse(args, new HashSet<string> { "no-engine" });
        string text = a.Get("text") ?? "Hola, ¿cómo estás? El tren sale mañana a las ocho.";
        bool noEngine = a.Flag("no-engine");
        a.RejectUnknown();
        if (a.Positional.Count != 1)
            throw new UsageException("verify needs exactly one model directory");
        var report = ModelVerifier.Inspect(a.Positional[0]);
        await Console.Out.WriteLineAsync(report.Describe()).ConfigureAwait(false);
        if (!report.Ok)
            throw new ModelToolException($"{report.Directory} failed verification: {string.Join("; ", report.Problems)}");
        await Console.Out.WriteLineAsync("  checks      model.bin, config.json, vocabulary, language codes and tokenizer OK").ConfigureAwait(false);
        if (noEngine)
            return 0;
        var (translation, tokens, load, translate) = ModelVerifier.SmokeTranslate(report.Directory, text);
        await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"  engine      loaded in {load.TotalSeconds:F2} s; es→da greedy, {tokens.Count} tokens in {translate.TotalMilliseconds:F0} ms\n  source      {text}\n  translation {translation}")).ConfigureAwait(false);
        return 0;
    }
}
