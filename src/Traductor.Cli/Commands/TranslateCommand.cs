namespace Traductor.Cli.Commands;

internal static class TranslateCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        await Console.Error.WriteLineAsync("traductor: 'translate' is not available in this build yet").ConfigureAwait(false);
        return 2;
    }
}
