namespace Traductor.Cli.Commands;

internal static class ModelConvertCommand
{
    public const string Usage = "traductor model convert (not available yet)";

    public static Task<int> RunAsync(string[] args) => ModelCommand.FailAsync("'model convert' is not available in this build yet", 2);
}
