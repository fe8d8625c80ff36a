namespace Traductor.Deploy.Tests.Infrastructure;

/// <summary>Where the repository, its artefacts and the shared golden data are.</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    /// <summary><c>TRD_SHARED_DIR</c> if set, else <c>&lt;repo&gt;/../shared</c>.</summary>
    public static string Shared { get; } =
        Environment.GetEnvironmentVariable("TRD_SHARED_DIR") is { Length: > 0 } dir ? dir : Path.GetFullPath(Path.Combine(Root, "..", "shared"));

    public static string File(params string[] parts) => Path.Combine([Root, .. parts]);

    /// <summary>The build configuration this test assembly was built in (Release in CI), used to find the <c>traductor</c> program.</summary>
    public static string Configuration { get; } =
        new DirectoryInfo(AppContext.BaseDirectory).Parent?.Name ?? "Release";

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "Traductor.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"no Traductor.sln above {AppContext.BaseDirectory}");
    }
}
