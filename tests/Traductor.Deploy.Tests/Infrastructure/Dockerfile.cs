using System.Text.RegularExpressions;

namespace Traductor.Deploy.Tests.Infrastructure;

/// <summary>A Dockerfile split into stages of (instruction, arguments), continuations joined, comments dropped.</summary>
internal sealed partial class Dockerfile
{
    private readonly List<(string Stage, string Instruction, string Arguments)> _lines = [];

    public static string Path { get; } = RepoPaths.File("Dockerfile");

    public static Dockerfile Load() => Parse(File.ReadAllLines(Path));

    public static Dockerfile Parse(IEnumerable<string> lines)
    {
        var file = new Dockerfile();
        var stage = "";
        var pending = "";
        foreach (var raw in lines)
        {
            var line = raw.TrimEnd();
            if (pending.Length == 0 && line.TrimStart().StartsWith('#'))
                continue;
            if (line.EndsWith('\\'))
            {
                pending += line[..^1] + " ";
                continue;
            }
            var full = (pending + line).Trim();
            pending = "";
            if (full.Length == 0 || full.StartsWith('#'))
                continue;
            var split = full.Split(' ', 2);
            var instruction = split[0].ToUpperInvariant();
            var arguments = split.Length > 1 ? Spaces().Replace(split[1].Trim(), " ") : "";
            if (instruction == "FROM")
            {
                var alias = FromAlias().Match(arguments);
                stage = alias.Success ? alias.Groups[1].Value : arguments;
            }
            file._lines.Add((stage, instruction, arguments));
        }
        return file;
    }

    public IReadOnlyList<string> Stages => _lines.Where(l => l.Instruction == "FROM").Select(l => l.Stage).ToList();

    public IReadOnlyList<string> Instruction(string stage, string instruction) =>
        _lines.Where(l => l.Stage == stage && l.Instruction == instruction).Select(l => l.Arguments).ToList();

    /// <summary>ENV KEY=VALUE pairs of a stage (the only ENV form this Dockerfile uses).</summary>
    public IReadOnlyDictionary<string, string> Environment(string stage) =>
        Instruction(stage, "ENV").SelectMany(a => a.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(pair => pair.Split('=', 2))
            .ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "", StringComparer.Ordinal);

    [GeneratedRegex(@"\s+[Aa][Ss]\s+(\S+)$")]
    private static partial Regex FromAlias();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
