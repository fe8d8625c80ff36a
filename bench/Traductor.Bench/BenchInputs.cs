using System.Text.RegularExpressions;
using Traductor.Native;

namespace Traductor.Bench;

/// <summary>
/// NLLB-framed sources of real-looking word pieces ([spa_Latn] pieces... [&lt;/s&gt;], prefix
/// [dan_Latn]), chosen with a fixed LCG so every run sees the same input. Mirrors
/// `traductor-engine bench`.
/// </summary>
internal static partial class BenchInputs
{
    [GeneratedRegex("^[a-z]{3}_[A-Z][a-z]{3}$")]
    private static partial Regex LanguageCode();

    public static (IReadOnlyList<IReadOnlyList<string>> Sources, IReadOnlyList<IReadOnlyList<string>> Prefixes) Make(NativeTranslator translator, int batch)
    {
        var vocabulary = new List<string>(translator.VocabularySize);
        for (int id = 0; id < translator.VocabularySize; id++)
            vocabulary.Add(translator.VocabularyToken(id));
        var words = vocabulary.Where(t => t.Length > 0 && t[0] != '<' && !t.StartsWith("madeupword", StringComparison.Ordinal) && !LanguageCode().IsMatch(t)).ToList();
        if (words.Count == 0)
            throw new InvalidOperationException("the model vocabulary has no ordinary word pieces");
        bool framing = vocabulary.Contains("spa_Latn") && vocabulary.Contains("dan_Latn");
        ulong state = 0x9e3779b97f4a7c15UL;
        var sources = new List<IReadOnlyList<string>>();
        var prefixes = new List<IReadOnlyList<string>>();
        for (int b = 0; b < batch; b++)
        {
            var source = new List<string>();
            if (framing)
                source.Add("spa_Latn");
            int needed = framing ? BenchSettings.SourceLength - 2 : BenchSettings.SourceLength;
            for (int i = 0; i < needed; i++)
            {
                state = unchecked(state * 6364136223846793005UL + 1442695040888963407UL);
                source.Add(words[(int)((state >> 33) % (ulong)words.Count)]);
            }
            if (framing)
                source.Add("</s>");
            sources.Add(source);
            prefixes.Add(framing ? ["dan_Latn"] : []);
        }
        return (sources, prefixes);
    }
}
