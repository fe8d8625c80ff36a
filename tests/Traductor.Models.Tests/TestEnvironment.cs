namespace Traductor.Models.Tests;

/// <summary>Where the repository and the golden fixtures (<c>&lt;repo&gt;/../shared</c> or <c>TRD_SHARED_DIR</c>) are.</summary>
internal static class TestEnvironment
{
    public static string RepoRoot => Traductor.Testing.TestPaths.RepoRoot;

    public static string SharedDir => Traductor.Testing.TestPaths.SharedDir;

    public static string GoldenDir => Path.Combine(SharedDir, "golden");
    public static string ConvertDir => Path.Combine(GoldenDir, "convert");
    public static string UnigramModel => Path.Combine(GoldenDir, "esda.unigram.model");
    public static bool GoldenRequired => Traductor.Testing.TestPaths.GoldenRequired;
    public static bool GoldenPresent => File.Exists(UnigramModel) && Directory.Exists(ConvertDir);

    public const string MissingMessage = "*** GOLDEN DATA MISSING: ../shared/golden not found (set TRD_SHARED_DIR; CI sets TRD_REQUIRE_GOLDEN=1 and fails instead) ***";
}

/// <summary>A fact that needs ../shared/golden: skipped loudly without it, unless TRD_REQUIRE_GOLDEN=1 (then it runs and fails).</summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class GoldenFactAttribute : FactAttribute
{
    public GoldenFactAttribute()
    {
        if (!TestEnvironment.GoldenPresent && !TestEnvironment.GoldenRequired)
            Skip = TestEnvironment.MissingMessage;
    }
}

[AttributeUsage(AttributeTargets.Method)]
internal sealed class GoldenTheoryAttribute : TheoryAttribute
{
    public GoldenTheoryAttribute()
    {
        if (!TestEnvironment.GoldenPresent && !TestEnvironment.GoldenRequired)
            Skip = TestEnvironment.MissingMessage;
    }
}

/// <summary>
/// A fact that needs the golden data and libtraductor.so (built by `make native`, copied next to the
/// test assembly): skipped loudly without them, unless TRD_REQUIRE_GOLDEN=1 (then it runs and fails).
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class EngineTheoryAttribute : TheoryAttribute
{
    public EngineTheoryAttribute()
    {
        if (TestEnvironment.GoldenRequired)
            return;
        if (!TestEnvironment.GoldenPresent)
            Skip = TestEnvironment.MissingMessage;
        else if (!File.Exists(Path.Combine(AppContext.BaseDirectory, "libtraductor.so")))
            Skip = "*** NATIVE ENGINE MISSING: libtraductor.so not next to the tests (run `make native`; CI sets TRD_REQUIRE_GOLDEN=1 and fails instead) ***";
    }
}

/// <summary>A fresh directory under /tmp, removed on dispose.</summary>
internal sealed class TemporaryDirectory : IDisposable
{
    public TemporaryDirectory() => Path = Directory.CreateTempSubdirectory("trd-models-tests-").FullName;

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is not a test failure.
        }
    }
}
