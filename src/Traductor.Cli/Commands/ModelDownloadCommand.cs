namespace Traductor.Cli.Commands;

internal static class ModelDownloadCommand
{
    public const string Usage = "traductor model download (not available yet)";

    public static Task<int> RunAsync(string[] args) => ModelCommand.FailAsync("'model download' is not available in this build yet", 2);
}
