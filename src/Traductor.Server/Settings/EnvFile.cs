using System.Text;
using System.Text.RegularExpressions;

namespace Traductor.Server.Settings;

/// <summary>
/// Parses a dotenv file (<c>.env</c>, <c>.env.prod</c>): <c>KEY=VALUE</c> lines, <c>#</c> comments,
/// optional <c>export</c>, single quotes literal, double quotes with <c>\n \t \" \\</c> escapes.
/// </summary>
public static partial class EnvFile
{
    /// <summary>Reads <paramref name="path"/>; a missing file or malformed line is a <see cref="SettingsException"/> naming file and line.</summary>
    public static IReadOnlyDictionary<string, string?> Read(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SettingsException($"cannot read env file {path}: {e.Message}");
        }
        return Parse(lines, path);
    }

    /// <summary>Parses the lines of an env file; <paramref name="source"/> names it in errors.</summary>
    public static IReadOnlyDictionary<string, string?> Parse(IReadOnlyList<string> lines, string source)
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line[0] == '#')
                continue;
            if (line.StartsWith("export ", StringComparison.Ordinal))
                line = line[7..].TrimStart();
            var eq = line.IndexOf('=', StringComparison.Ordinal);
            var key = eq < 0 ? line : line[..eq].Trim();
            if (eq < 0 || !KeyPattern().IsMatch(key))
                throw new SettingsException($"env file {source} line {i + 1}: expected KEY=VALUE with KEY made of letters, digits and _");
            values[key] = Value(line[(eq + 1)..].Trim(), source, i + 1);
        }
        return values;
    }

    private static string Value(string raw, string source, int lineNumber)
    {
        if (raw.Length == 0)
            return raw;
        if (raw[0] == '\'')
        {
            var end = raw.IndexOf('\'', 1);
            if (end < 0)
                throw new SettingsException($"env file {source} line {lineNumber}: unterminated single quote");
            return raw[1..end];
        }
        if (raw[0] == '"')
        {
            var sb = new StringBuilder();
            for (var i = 1; i < raw.Length; i++)
            {
                var c = raw[i];
                if (c == '"')
                    return sb.ToString();
                if (c == '\\' && i + 1 < raw.Length)
                {
                    i++;
                    sb.Append(raw[i] switch { 'n' => '\n', 't' => '\t', 'r' => '\r', var other => other });
                }
                else
                {
                    sb.Append(c);
                }
            }
            throw new SettingsException($"env file {source} line {lineNumber}: unterminated double quote");
        }
        // Unquoted: a " #" starts a comment, as in docker compose and python-dotenv.
        var comment = raw.IndexOf(" #", StringComparison.Ordinal);
        return (comment < 0 ? raw : raw[..comment]).TrimEnd();
    }

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex KeyPattern();
}
