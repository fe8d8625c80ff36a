using Traductor.Server.Settings;

namespace Traductor.Deploy.Tests.Infrastructure;

/// <summary>.env.example read with the service's own env-file parser.</summary>
internal static class EnvExample
{
    public static string Path { get; } = RepoPaths.File(".env.example");

    public static IReadOnlyDictionary<string, string?> Values() => EnvFile.Read(Path);

    /// <summary>Each setting's value in .env.example, i.e. the documented default.</summary>
    public static IReadOnlyDictionary<string, string> Defaults() =>
        Values().ToDictionary(kv => kv.Key, kv => kv.Value ?? "", StringComparer.Ordinal);
}
