namespace Traductor.Cli.Commands;

internal static class ServeCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        await Console.Error.WriteLineAsync("traductor: 'serve' is not available in this build yet").ConfigureAwait(false);
        return 2;
    }
}
