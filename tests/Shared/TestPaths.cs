namespace Traductor.Testing;

/// <summary>
/// Where the repository and the golden fixtures are, shared by every test project (linked into each
/// one by tests/Directory.Build.props). Golden data is <c>TRD_SHARED_DIR</c> if set, else
/// <c>&lt;repo&gt;/../shared</c>; <c>TRD_REQUIRE_GOLDEN=1</c> (CI) turns its absence into failures.
/// </summary>
internal static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string SharedDir { get; } =
        Environment.GetEnvironmentVariable("TRD_SHARED_DIR") is { Length: > 0 } shared
            ? shared
            : Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    public static string GoldenDir => Path.Combine(SharedDir, "golden");

    public static bool GoldenRequired => Environment.GetEnvironmentVariable("TRD_REQUIRE_GOLDEN") == "1";

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Traductor.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"no Traductor.sln above {AppContext.BaseDirectory}");
    }
}
