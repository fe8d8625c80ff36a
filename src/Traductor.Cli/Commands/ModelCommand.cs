namespace Traductor.Cli.Commands;

internal static class ModelCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        await Console.Error.WriteLineAsync("traductor: 'model' is not available in this build yet").ConfigureAwait(false);
        return 2;
    }
}
