using System.Diagnostics;
using System.Text;
using Traductor.Core;

namespace Traductor.Cli.Commands;

/// <summary>
/// <c>traductor translate --direction es-da</c>: standard input to standard output, line structure
/// kept. Input is streamed in chunks of lines, so files of any size run in bounded memory; the lines
/// of a chunk are translated together, which lets the batcher fill engine batches.
/// </summary>
internal static class TranslateCommand
{
    private const string Usage =
        "usage: traductor translate --direction es-da|da-es [--model DIR] [--tokenizer FILE]\n" +
        "                           [--beam-size N] [--max-new-tokens N] [--progress]\n\n" +
        "Translates standard input to standard output, keeping every line break, blank line and\n" +
        "indentation. The model directory defaults to $MODEL_PATH, the tokenizer to $TOKENIZER_PATH or\n" +
        "DIR/sentencepiece.bpe.model. Progress goes to stderr when it is a terminal, or with --progress.";

    /// <summary>Lines handed to the service at once: enough to fill batches, few enough to stream.</summary>
    private const int ChunkLines = 256;

    /// <summary>Characters per chunk, so a file of very long lines still streams.</summary>
    private const int ChunkChars = 64 * 1024;

    public static async Task<int> RunAsync(string[] args)
    {
        var parsed = Parse(args);
        if (parsed.Error is not null)
        {
            return await Fail(parsed.Error, 2).ConfigureAwait(false);
        }
        if (parsed.Help)
        {
            await Console.Out.WriteLineAsync(Usage).ConfigureAwait(false);
            return 0;
        }
        var modelPath = parsed.Model ?? Environment.GetEnvironmentVariable("MODEL_PATH");
        if (string.IsNullOrWhiteSpace(modelPath))
        {
            return await Fail("no model: pass --model DIR or set MODEL_PATH", 2).ConfigureAwait(false);
        }
        var tokenizerPath = parsed.Tokenizer ?? NullIfEmpty(Environment.GetEnvironmentVariable("TOKENIZER_PATH"));

        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancel.Cancel();
        };

        TranslationService service;
        try
        {
            service = TranslationService.Load(new TranslationServiceOptions
            {
                ModelPath = modelPath,
                TokenizerPath = tokenizerPath,
                // A local file is not a request from a stranger: a long line is still translated (in segments).
                MaxInputTokens = int.MaxValue,
                MaxMaxNewTokens = Math.Max(8192, parsed.MaxNewTokens ?? 0),
            });
        }
        catch (Exception e) when (e is TranslationException or ArgumentException)
        {
            return await Fail(e.Message, 1).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Anything else (a broken native library, out of memory) still ends with one line, not a trace.
            return await Fail($"cannot load the model: {e.GetType().Name}: {e.Message}", 1).ConfigureAwait(false);
        }

        await using (service.ConfigureAwait(false))
        {
            var options = new TranslateOptions { BeamSize = parsed.BeamSize, MaxNewTokens = parsed.MaxNewTokens };
            var progress = new Progress(parsed.Progress || !Console.IsErrorRedirected);
            try
            {
                var budgetHits = await TranslateStreamAsync(service, parsed.Direction, options, progress, cancel.Token).ConfigureAwait(false);
                progress.Finish();
                if (budgetHits > 0)
                {
                    await Console.Error.WriteLineAsync(
                        $"traductor translate: warning: {budgetHits} line(s) reached the output budget of {parsed.MaxNewTokens ?? 1024} tokens per sentence; " +
                        "their translation may be incomplete (raise --max-new-tokens)").ConfigureAwait(false);
                }
                return 0;
            }
            catch (OperationCanceledException) when (cancel.IsCancellationRequested)
            {
                progress.Finish();
                return await Fail("interrupted", 130).ConfigureAwait(false);
            }
            catch (Exception e) when (e is TranslationException or Traductor.Native.TraductorNativeException or IOException)
            {
                progress.Finish();
                return await Fail($"translation failed: {e.Message}", 1).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                progress.Finish();
                return await Fail($"translation failed: {e.GetType().Name}: {e.Message}", 1).ConfigureAwait(false);
            }
        }
    }

    private static async Task<int> TranslateStreamAsync(TranslationService service, Direction direction, TranslateOptions options, Progress progress, CancellationToken cancellationToken)
    {
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);
        using var input = new StreamReader(Console.OpenStandardInput(), utf8, detectEncodingFromByteOrderMarks: false, bufferSize: 1 << 16);
        await using var output = new StreamWriter(Console.OpenStandardOutput(), utf8, bufferSize: 1 << 16);
        var budgetHits = 0;
        await foreach (var chunk in LineChunks.ReadAsync(input, ChunkLines, ChunkChars, cancellationToken).ConfigureAwait(false))
        {
            var toTranslate = chunk.Where(line => !string.IsNullOrWhiteSpace(line)).ToList();
            var translations = toTranslate.Count == 0
                ? []
                : await service.TranslateAsync(toTranslate, direction, options, cancellationToken).ConfigureAwait(false);
            var next = 0;
            foreach (var line in chunk)
            {
                if (string.IsNullOrWhiteSpace(line))
                {
                    await output.WriteAsync(line.AsMemory(), cancellationToken).ConfigureAwait(false);
                    continue;
                }
                var translation = translations[next++];
                budgetHits += translation.HitTokenBudget ? 1 : 0;
                await output.WriteAsync(translation.Translation.AsMemory(), cancellationToken).ConfigureAwait(false);
            }
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            progress.Report(chunk.Count, chunk.Sum(l => (long)l.Length));
        }
        return budgetHits;
    }

    private static Arguments Parse(string[] args)
    {
        var result = new Arguments();
        string? direction = null;
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            string? Value() => i + 1 < args.Length ? args[++i] : null;
            switch (name)
            {
                case "-h" or "--help":
                    return result with { Help = true };
                case "--progress":
                    result = result with { Progress = true };
                    break;
                case "--direction" or "-d":
                    direction = Value();
                    if (direction is null)
                    {
                        return result with { Error = "--direction needs a value (es-da or da-es)" };
                    }
                    break;
                case "--model" or "-m":
                    result = result with { Model = Value() };
                    if (result.Model is null)
                    {
                        return result with { Error = "--model needs a directory" };
                    }
                    break;
                case "--tokenizer":
                    result = result with { Tokenizer = Value() };
                    if (result.Tokenizer is null)
                    {
                        return result with { Error = "--tokenizer needs a file" };
                    }
                    break;
                case "--beam-size":
                    if (!TryPositive(Value(), out var beam))
                    {
                        return result with { Error = $"--beam-size needs an integer from 1 to {TranslationService.MaxBeamSize}" };
                    }
                    result = result with { BeamSize = beam };
                    break;
                case "--max-new-tokens":
                    if (!TryPositive(Value(), out var budget))
                    {
                        return result with { Error = "--max-new-tokens needs a positive integer" };
                    }
                    result = result with { MaxNewTokens = budget };
                    break;
                default:
                    return result with { Error = $"unknown option '{name}' (try 'traductor translate --help')" };
            }
        }
        if (direction is null)
        {
            return result with { Error = $"--direction is required ({string.Join(" or ", Directions.All)})" };
        }
        if (!Directions.TryParse(direction, out var parsed))
        {
            return result with { Error = $"unknown direction '{direction}' (use {string.Join(" or ", Directions.All)})" };
        }
        return result with { Direction = parsed };
    }

    private static bool TryPositive(string? text, out int value) =>
        int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out value) && value > 0;

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static async Task<int> Fail(string message, int exitCode)
    {
        await Console.Error.WriteLineAsync($"traductor translate: {message}").ConfigureAwait(false);
        return exitCode;
    }

    private sealed record Arguments
    {
        public bool Help { get; init; }
        public bool Progress { get; init; }
        public Direction Direction { get; init; }
        public string? Model { get; init; }
        public string? Tokenizer { get; init; }
        public int? BeamSize { get; init; }
        public int? MaxNewTokens { get; init; }
        public string? Error { get; init; }
    }

    /// <summary>Lines and characters done, on stderr; rewrites one line on a terminal.</summary>
    private sealed class Progress(bool enabled)
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly bool _terminal = !Console.IsErrorRedirected;
        private long _lines;
        private long _chars;
        private long _lastReport;

        public void Report(int lines, long chars)
        {
            _lines += lines;
            _chars += chars;
            if (enabled && (_terminal || _clock.ElapsedMilliseconds - _lastReport >= 1000))
            {
                Write();
            }
        }

        /// <summary>The final count, so a log of a redirected stderr ends with the totals.</summary>
        public void Finish()
        {
            if (!enabled)
            {
                return;
            }
            Write();
            if (_terminal)
            {
                Console.Error.WriteLine();
            }
        }

        private void Write()
        {
            _lastReport = _clock.ElapsedMilliseconds;
            var seconds = Math.Max(_clock.Elapsed.TotalSeconds, 1e-3);
            var message = $"translated {_lines} lines ({_chars / 1024.0:F0} KiB) in {seconds:F1} s, {_lines / seconds:F1} lines/s";
            Console.Error.Write(_terminal ? $"\r{message}\u001b[K" : message + Environment.NewLine);
        }
    }
}
