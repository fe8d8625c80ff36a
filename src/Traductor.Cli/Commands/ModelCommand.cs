using Traductor.Models;

namespace Traductor.Cli.Commands;

/// <summary>
/// <c>traductor model download | convert | verify | make-test</c>. Every failure ends with one
/// "traductor: …" line on stderr and a non-zero exit (2 for usage, 1 for everything else).
/// </summary>
internal static class ModelCommand
{
    private static readonly Dictionary<string, (string Usage, Func<string[], Task<int>> Run)> Verbs = new(StringComparer.Ordinal)
    {
        ["make-test"] = (ModelMakeTestCommand.Usage, ModelMakeTestCommand.RunAsync),
        ["convert"] = (ModelConvertCommand.Usage, ModelConvertCommand.RunAsync),
        ["download"] = (ModelDownloadCommand.Usage, ModelDownloadCommand.RunAsync),
        ["verify"] = (ModelVerifyCommand.Usage, ModelVerifyCommand.RunAsync),
    };

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            await Console.Out.WriteLineAsync("usage:\n" + string.Join("\n", Verbs.Values.Select(v => "  " + v.Usage))).ConfigureAwait(false);
            return args.Length == 0 ? 2 : 0;
        }
        if (!Verbs.TryGetValue(args[0], out var verb))
            return await FailAsync($"unknown model command '{args[0]}' (expected {string.Join(", ", Verbs.Keys)})", 2).ConfigureAwait(false);
        if (args.Skip(1).Any(a => a is "-h" or "--help"))
        {
            await Console.Out.WriteLineAsync("usage: " + verb.Usage).ConfigureAwait(false);
            return 0;
        }
        try
        {
            return await verb.Run(args[1..]).ConfigureAwait(false);
        }
        catch (UsageException e)
        {
            return await FailAsync($"{e.Message}\nusage: {verb.Usage}", 2).ConfigureAwait(false);
        }
        catch (ModelToolException e)
        {
            return await FailAsync(e.Message, 1).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return await FailAsync("cancelled", 130).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return await FailAsync(e.Message, 1).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // the CLI's contract is one line and a non-zero exit, never a stack trace
        catch (Exception e)
#pragma warning restore CA1031
        {
            return await FailAsync($"internal error ({e.GetType().Name}): {e.Message}", 1).ConfigureAwait(false);
        }
    }

    internal static async Task<int> FailAsync(string message, int code)
    {
        await Console.Error.WriteLineAsync("traductor: " + message).ConfigureAwait(false);
        return code;
    }
}
