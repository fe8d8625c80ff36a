namespace Traductor.Deploy.Tests.Infrastructure;

/// <summary>The <c>traductor</c> program built from src/Traductor.Cli (the same build CI tests).</summary>
internal static class TraductorProgram
{
    public static string OutputDirectory { get; } =
        Environment.GetEnvironmentVariable("TRD_TRADUCTOR_DIR") is { Length: > 0 } dir
            ? dir
            : RepoPaths.File("src", "Traductor.Cli", "bin", RepoPaths.Configuration, "net10.0");

    /// <summary>The native launcher (apphost): what a publish installs as /opt/traductor/traductor.</summary>
    public static string AppHost()
    {
        var path = Path.Combine(OutputDirectory, "traductor");
        Assert.True(File.Exists(path), $"the traductor program is not built at {path} (run 'make build')");
        return path;
    }

    /// <summary>The managed entry point, run as <c>dotnet traductor.dll</c> like the container does.</summary>
    public static string Assembly()
    {
        var path = Path.Combine(OutputDirectory, "traductor.dll");
        Assert.True(File.Exists(path), $"the traductor program is not built at {path} (run 'make build')");
        return path;
    }
}
