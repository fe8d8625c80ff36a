using System.Collections;
using Traductor.Server;
using Traductor.Server.Settings;

namespace Traductor.Cli.Commands;

/// <summary>
/// <c>traductor serve [--env-file FILE]</c>: runs the HTTP service. Settings come from the environment
/// (handbook names), the env file (default <c>./.env</c> when present) and appsettings.json; a bad one
/// stops start-up with one line on stderr and exit status 2.
/// </summary>
internal static class ServeCommand
{
    private const string Usage =
        "usage: traductor serve [--env-file FILE]\n\n" +
        "Runs the translation service. Settings are environment variables (MODEL_PATH, HOST, PORT,\n" +
        "MAX_INPUT_TOKENS, REQUEST_TIMEOUT, CT2_INTER_THREADS, LOG_LEVEL, ...; see the operations handbook),\n" +
        "optionally from FILE (KEY=VALUE lines; default ./.env when it exists). The environment wins over the file.";

    public static async Task<int> RunAsync(string[] args)
    {
        string? envFile = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "-h" or "--help":
                    await Console.Out.WriteLineAsync(Usage).ConfigureAwait(false);
                    return 0;
                case "--env-file" when i + 1 < args.Length:
                    envFile = args[++i];
                    break;
                case "--env-file":
                    return await Fail("--env-file needs a file name").ConfigureAwait(false);
                default:
                    return await Fail($"unknown option '{args[i]}' (try 'traductor serve --help')").ConfigureAwait(false);
            }
        }

        ServerSettings settings;
        try
        {
            settings = SettingsLoader.Load(envFile, ProcessEnvironment());
        }
        catch (SettingsException e)
        {
            return await Fail(e.Message).ConfigureAwait(false);
        }

        var app = ServerApp.Create(settings);
        await using (app.ConfigureAwait(false))
        {
            try
            {
                await app.RunAsync().ConfigureAwait(false);
            }
            catch (IOException e)
            {
                await Console.Error.WriteLineAsync($"traductor serve: cannot listen on {settings.Host}:{settings.Port}: {e.Message}").ConfigureAwait(false);
                return 1;
            }
        }
        return 0;
    }

    private static Dictionary<string, string?> ProcessEnvironment()
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
            values[(string)entry.Key] = entry.Value as string;
        return values;
    }

    private static async Task<int> Fail(string message)
    {
        await Console.Error.WriteLineAsync($"traductor serve: {message}").ConfigureAwait(false);
        return 2;
    }
}
