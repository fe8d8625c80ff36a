namespace Traductor.Native.Tests;

/// <summary>Where the repository, its committed test data and the golden fixtures are.</summary>
internal static class TestEnvironment
{
    public static string RepoRoot => Traductor.Testing.TestPaths.RepoRoot;

    /// <summary><c>TRD_SHARED_DIR</c> if set, else <c>&lt;repo&gt;/../shared</c>.</summary>
    public static string SharedDir => Traductor.Testing.TestPaths.SharedDir;

    public static string GoldenDir => Path.Combine(SharedDir, "golden");

    public static string GoldenTokenizer => Path.Combine(GoldenDir, "esda.unigram.model");

    public static string SpmDataDir => Path.Combine(RepoRoot, "tests", "data", "spm");

    public static bool GoldenRequired => Traductor.Testing.TestPaths.GoldenRequired;
}

/// <summary>
/// A fact that needs ../shared/golden. Without it the test is skipped with a loud reason, unless
/// TRD_REQUIRE_GOLDEN=1 (CI), where it runs and fails on the missing files.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class GoldenFactAttribute : FactAttribute
{
    public GoldenFactAttribute()
    {
        if (!Directory.Exists(TestEnvironment.GoldenDir) && !TestEnvironment.GoldenRequired)
        {
            Skip = $"*** GOLDEN DATA MISSING: {TestEnvironment.GoldenDir} not found (set TRD_SHARED_DIR) ***";
        }
    }
}

/// <summary>A directory under /tmp removed on dispose.</summary>
internal sealed class TemporaryDirectory : IDisposable
{
    public TemporaryDirectory(string name = "trd-native-tests")
    {
        Path = Directory.CreateTempSubdirectory(name + "-").FullName;
    }

    public string Path { get; }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
