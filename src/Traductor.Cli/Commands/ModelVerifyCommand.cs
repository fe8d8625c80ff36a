namespace Traductor.Cli.Commands;

internal static class ModelVerifyCommand
{
    public const string Usage = "traductor model verify (not available yet)";

    public static Task<int> RunAsync(string[] args) => ModelCommand.FailAsync("'model verify' is not available in this build yet", 2);
}
