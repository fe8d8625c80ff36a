using System.Diagnostics;
using System.Text;
using Xunit.Abstractions;

namespace Traductor.Native.Tests;

/// <summary>
/// Issue 4, item 2: our tokenization must be exactly spm_encode's. The corpora and models in
/// tests/data/spm come from Debian's gettext catalogs and spm_train (scripts/make-spm-test-data.sh),
/// with spm_encode/spm_decode's output committed beside them.
/// </summary>
public sealed class SentencePieceParityTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("bpe", "es")]
    [InlineData("bpe", "da")]
    [InlineData("unigram", "es")]
    [InlineData("unigram", "da")]
    public void Pieces_and_decoding_match_the_committed_spm_output(string model, string language)
    {
        var corpus = ReadLines(Path.Combine(TestEnvironment.SpmDataDir, $"corpus.{language}.txt"));
        var pieces = ReadLines(Path.Combine(TestEnvironment.SpmDataDir, $"{model}.{language}.pieces"));
        var decoded = ReadLines(Path.Combine(TestEnvironment.SpmDataDir, $"{model}.{language}.decoded"));
        Assert.True(corpus.Length >= 2000, $"corpus.{language}.txt has only {corpus.Length} lines");
        Assert.Equal(corpus.Length, pieces.Length);
        Assert.Equal(corpus.Length, decoded.Length);

        using var tokenizer = NativeTokenizer.Load(Path.Combine(TestEnvironment.SpmDataDir, $"{model}.model"));
        AssertParity($"{model}/{language}", tokenizer, corpus, pieces, decoded);
    }

    [SpmToolFact]
    public void Golden_model_matches_spm_encode_run_now()
    {
        using var tokenizer = NativeTokenizer.Load(TestEnvironment.GoldenTokenizer);
        foreach (var language in new[] { "es", "da" })
        {
            var corpusPath = Path.Combine(TestEnvironment.SpmDataDir, $"corpus.{language}.txt");
            var corpus = ReadLines(corpusPath);
            var piecesText = RunTool("spm_encode", $"--model={TestEnvironment.GoldenTokenizer}", "--output_format=piece", corpusPath);
            var pieces = SplitLines(piecesText);
            var decoded = SplitLines(RunTool("spm_decode", $"--model={TestEnvironment.GoldenTokenizer}", "--input_format=piece", stdin: piecesText));
            AssertParity($"esda.unigram/{language}", tokenizer, corpus, pieces, decoded);
        }
    }

    [Fact]
    public void The_corpora_cover_the_hard_cases()
    {
        foreach (var language in new[] { "es", "da" })
        {
            var corpus = ReadLines(Path.Combine(TestEnvironment.SpmDataDir, $"corpus.{language}.txt"));
            Assert.Contains(corpus, l => l.Contains('\t', StringComparison.Ordinal));
            Assert.Contains(corpus, l => l.Contains("  ", StringComparison.Ordinal));
            Assert.Contains(corpus, l => l.Any(char.IsDigit));
            Assert.Contains(corpus, l => l.EnumerateRunes().Any(r => r.Value >= 0x1F300));
            var letters = language == "es" ? "áéíóúñ" : "æøå";
            Assert.All(letters, c => Assert.Contains(corpus, l => l.Contains(c, StringComparison.Ordinal)));
        }
    }

    private void AssertParity(string label, NativeTokenizer tokenizer, string[] corpus, string[] expectedPieces, string[] expectedDecoded)
    {
        Assert.Equal(corpus.Length, expectedPieces.Length);
        Assert.Equal(corpus.Length, expectedDecoded.Length);
        var pieceMismatches = new List<string>();
        var decodeMismatches = new List<string>();
        var identicalRoundTrips = 0;
        for (var i = 0; i < corpus.Length; i++)
        {
            var pieces = tokenizer.Encode(corpus[i]);
            var joined = string.Join(' ', pieces);
            if (joined != expectedPieces[i])
            {
                pieceMismatches.Add($"line {i + 1}: {Show(corpus[i])}\n    ours: {joined}\n    spm:  {expectedPieces[i]}");
            }

            var text = tokenizer.Decode(pieces);
            if (text != expectedDecoded[i])
            {
                decodeMismatches.Add($"line {i + 1}: ours {Show(text)} spm {Show(expectedDecoded[i])}");
            }

            if (text == corpus[i])
            {
                identicalRoundTrips++;
            }
        }

        output.WriteLine(
            $"{label}: {corpus.Length} lines, {corpus.Length - pieceMismatches.Count} identical pieces, "
            + $"{corpus.Length - decodeMismatches.Count} identical decodes, {identicalRoundTrips} round-trip to the exact input "
            + "(the others are changed by the model's normalization, exactly as spm_decode changes them)");
        Assert.True(pieceMismatches.Count == 0, $"{label}: {pieceMismatches.Count} lines differ from spm_encode:\n" + string.Join('\n', pieceMismatches.Take(10)));
        Assert.True(decodeMismatches.Count == 0, $"{label}: {decodeMismatches.Count} lines differ from spm_decode:\n" + string.Join('\n', decodeMismatches.Take(10)));
    }

    private static string Show(string text) => "\"" + text.Replace("\t", "\\t", StringComparison.Ordinal) + "\"";

    // Exact lines: only '\n' separates them (tabs and trailing spaces are content).
    private static string[] ReadLines(string path) => SplitLines(File.ReadAllText(path, Encoding.UTF8));

    private static string[] SplitLines(string text)
    {
        var lines = text.Split('\n');
        return text.EndsWith('\n') ? lines[..^1] : lines;
    }

    private static string RunTool(string tool, string arg1, string arg2, string? file = null, string? stdin = null)
    {
        var start = new ProcessStartInfo(tool)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            StandardOutputEncoding = Encoding.UTF8,
            StandardInputEncoding = stdin is null ? null : new UTF8Encoding(false),
        };
        start.ArgumentList.Add(arg1);
        start.ArgumentList.Add(arg2);
        if (file is not null)
        {
            start.ArgumentList.Add(file);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        // Written concurrently with reading stdout: the tool writes as it reads, and a full stdout
        // pipe would otherwise block it while we block writing its stdin.
        var writer = stdin is null ? Task.CompletedTask : Task.Run(() =>
        {
            process.StandardInput.Write(stdin);
            process.StandardInput.Close();
        });
        var stdout = process.StandardOutput.ReadToEnd();
        writer.GetAwaiter().GetResult();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{tool} failed ({process.ExitCode}): {stderr.Result}");
        return stdout;
    }
}

/// <summary>
/// Needs the golden model and spm_encode/spm_decode (Debian's sentencepiece, installed by
/// scripts/install-deps.sh). Skipped loudly when either is missing, unless TRD_REQUIRE_GOLDEN=1.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class SpmToolFactAttribute : FactAttribute
{
    public SpmToolFactAttribute()
    {
        if (TestEnvironment.GoldenRequired)
        {
            return;
        }

        if (!File.Exists(TestEnvironment.GoldenTokenizer))
        {
            Skip = $"*** GOLDEN DATA MISSING: {TestEnvironment.GoldenTokenizer} not found (set TRD_SHARED_DIR) ***";
        }
        else if (!OnPath("spm_encode") || !OnPath("spm_decode"))
        {
            Skip = "*** spm_encode/spm_decode not installed (apt-get install sentencepiece) ***";
        }
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Any(d => File.Exists(Path.Combine(d, tool)));
}
