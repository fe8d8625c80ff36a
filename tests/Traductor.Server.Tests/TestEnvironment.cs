namespace Traductor.Server.Tests;

/// <summary>Where the golden model, its tokenizer and the native library are.</summary>
internal static class TestEnvironment
{
    public static string RepoRoot => Traductor.Testing.TestPaths.RepoRoot;

    /// <summary><c>TRD_SHARED_DIR</c> if set, else <c>&lt;repo&gt;/../shared</c>.</summary>
    public static string SharedDir => Traductor.Testing.TestPaths.SharedDir;

    public static string GoldenDir => Path.Combine(SharedDir, "golden");

    /// <summary>A small real CTranslate2 model (random weights, real es/da SentencePiece vocabulary).</summary>
    public static string TinyModel => Path.Combine(GoldenDir, "models", "tiny-f32");

    public static string Tokenizer => Path.Combine(GoldenDir, "esda.unigram.model");

    public static string NativeLibrary => Path.Combine(AppContext.BaseDirectory, "libtraductor.so");

    /// <summary>The CLI next to the tests (a project reference copies it).</summary>
    public static string CliAssembly => Path.Combine(AppContext.BaseDirectory, "traductor.dll");

    public static bool GoldenRequired => Traductor.Testing.TestPaths.GoldenRequired;

    public static bool GoldenPresent => Directory.Exists(TinyModel) && File.Exists(Tokenizer);

    /// <summary>Why model tests cannot run here, or null. Under TRD_REQUIRE_GOLDEN=1 never a reason: they run and fail.</summary>
    public static string? MissingModelReason()
    {
        if (GoldenRequired)
            return null;
        if (!GoldenPresent)
            return $"SKIPPED LOUDLY: golden model not found at {TinyModel} (set TRD_SHARED_DIR; CI sets TRD_REQUIRE_GOLDEN=1 and fails instead)";
        if (!File.Exists(NativeLibrary))
            return $"SKIPPED LOUDLY: {NativeLibrary} missing (run `make native`; CI sets TRD_REQUIRE_GOLDEN=1 and fails instead)";
        return null;
    }
}

/// <summary>
/// A test that serves the golden tiny model through the native library. Without them it is skipped
/// with a loud reason, unless TRD_REQUIRE_GOLDEN=1 (CI), where it runs and fails on what is missing.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class ModelFactAttribute : FactAttribute
{
    public ModelFactAttribute() => Skip = TestEnvironment.MissingModelReason();
}

/// <inheritdoc cref="ModelFactAttribute"/>
[AttributeUsage(AttributeTargets.Method)]
internal sealed class ModelTheoryAttribute : TheoryAttribute
{
    public ModelTheoryAttribute() => Skip = TestEnvironment.MissingModelReason();
}
