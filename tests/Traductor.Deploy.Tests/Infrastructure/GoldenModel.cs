namespace Traductor.Deploy.Tests.Infrastructure;

/// <summary>The golden tiny CT2 model and its SentencePiece model (../shared/golden): small, real format, random weights.</summary>
internal static class GoldenModel
{
    public static string Directory => Path.Combine(RepoPaths.Shared, "golden", "models", "tiny-f32");

    public static string Tokenizer => Path.Combine(RepoPaths.Shared, "golden", "esda.unigram.model");

    public static bool Present => System.IO.Directory.Exists(Directory) && File.Exists(Tokenizer);

    public static bool Required => Environment.GetEnvironmentVariable("TRD_REQUIRE_GOLDEN") == "1";
}

/// <summary>A test that needs the golden model: skipped loudly when ../shared is absent, failed instead in CI (TRD_REQUIRE_GOLDEN=1).</summary>
public sealed class GoldenFactAttribute : FactAttribute
{
    public GoldenFactAttribute()
    {
        if (!GoldenModel.Present && !GoldenModel.Required)
            Skip = $"SKIPPED LOUDLY: golden model not found at {GoldenModel.Directory} (set TRD_SHARED_DIR; CI sets TRD_REQUIRE_GOLDEN=1 and fails instead)";
    }
}
