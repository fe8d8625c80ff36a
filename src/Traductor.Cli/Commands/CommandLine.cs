namespace Traductor.Cli.Commands;

/// <summary>Dispatches the first argument to a verb. Errors end with one line on stderr and a non-zero exit.</summary>
internal static class CommandLine
{
    private static readonly Dictionary<string, (string Summary, Func<string[], Task<int>> Run)> Verbs = new(StringComparer.Ordinal)
    {
        ["serve"] = ("run the HTTP service", ServeCommand.RunAsync),
        ["translate"] = ("translate stdin to stdout", TranslateCommand.RunAsync),
        ["model"] = ("download | convert | verify | make-test", ModelCommand.RunAsync),
    };

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            await Console.Out.WriteLineAsync(Usage()).ConfigureAwait(false);
            return args.Length == 0 ? 2 : 0;
        }
        if (args[0] is "--version")
        {
            await Console.Out.WriteLineAsync(typeof(CommandLine).Assembly.GetName().Version?.ToString(3)).ConfigureAwait(false);
            return 0;
        }
        if (!Verbs.TryGetValue(args[0], out var verb))
        {
            await Console.Error.WriteLineAsync($"traductor: unknown command '{args[0]}' (try 'traductor --help')").ConfigureAwait(false);
            return 2;
        }
        return await verb.Run(args[1..]).ConfigureAwait(false);
    }

    private static string Usage() =>
        "usage: traductor <command> [options]\n\ncommands:\n" +
        string.Join('\n', Verbs.Select(v => $"  {v.Key,-10} {v.Value.Summary}"));
}
