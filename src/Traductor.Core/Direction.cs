namespace Traductor.Core;

/// <summary>A translation direction this product supports.</summary>
public enum Direction
{
    /// <summary>Spanish to Danish ("es-da").</summary>
    EsDa,

    /// <summary>Danish to Spanish ("da-es").</summary>
    DaEs,
}

/// <summary>The public codes of <see cref="Direction"/> ("es-da", "da-es").</summary>
public static class Directions
{
    private static readonly string[] Codes = ["es-da", "da-es"];

    /// <summary>Every supported direction code, in declaration order.</summary>
    public static IReadOnlyList<string> All { get; } = Array.AsReadOnly(Codes);

    /// <summary>Parses a direction code; case-insensitive, surrounding whitespace ignored.</summary>
    public static bool TryParse(string? code, out Direction direction)
    {
        switch (code?.Trim().ToLowerInvariant())
        {
            case "es-da":
                direction = Direction.EsDa;
                return true;
            case "da-es":
                direction = Direction.DaEs;
                return true;
            default:
                direction = default;
                return false;
        }
    }

    /// <summary>The public code of a direction, e.g. "es-da".</summary>
    public static string Code(this Direction direction) => direction switch
    {
        Direction.EsDa => "es-da",
        Direction.DaEs => "da-es",
        _ => throw new ArgumentOutOfRangeException(nameof(direction), direction, "unknown direction"),
    };
}
