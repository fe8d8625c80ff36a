namespace Traductor.Core.Tests;

/// <summary>Where the golden data and the native library are, and whether tests may run without them.</summary>
internal static class TestEnvironment
{
    public static string RepoRoot => Traductor.Testing.TestPaths.RepoRoot;

    /// <summary><c>&lt;repo&gt;/../shared</c> or <c>TRD_SHARED_DIR</c>.</summary>
    public static string SharedDir => Traductor.Testing.TestPaths.SharedDir;

    public static string GoldenDir => Path.Combine(SharedDir, "golden");

    public static string TinyModel => Path.Combine(GoldenDir, "models", "tiny-f32");

    public static string TinyInt8Model => Path.Combine(GoldenDir, "models", "tiny-int8");

    public static string UnigramTokenizer => Path.Combine(GoldenDir, "esda.unigram.model");

    public static bool GoldenRequired => Traductor.Testing.TestPaths.GoldenRequired;

    public static bool GoldenPresent => File.Exists(UnigramTokenizer) && Directory.Exists(TinyModel);

    public static string NativeLibrary => Path.Combine(AppContext.BaseDirectory, "libtraductor.so");
}

/// <summary>
/// A test that needs ../shared/golden and the native library. Without them it is skipped with a loud
/// reason — unless TRD_REQUIRE_GOLDEN=1 (CI), where it runs and fails on what is missing.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class GoldenFactAttribute : FactAttribute
{
    public GoldenFactAttribute()
    {
        if (TestEnvironment.GoldenRequired)
        {
            return;
        }
        if (!TestEnvironment.GoldenPresent)
        {
            Skip = $"SKIPPED LOUDLY: golden data not found at {TestEnvironment.GoldenDir} (set TRD_SHARED_DIR; CI sets TRD_REQUIRE_GOLDEN=1 and fails instead)";
        }
        else if (!File.Exists(TestEnvironment.NativeLibrary))
        {
            Skip = $"SKIPPED LOUDLY: {TestEnvironment.NativeLibrary} missing (run `make native`; CI sets TRD_REQUIRE_GOLDEN=1 and fails instead)";
        }
    }
}
