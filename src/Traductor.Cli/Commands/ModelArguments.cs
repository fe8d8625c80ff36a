using System.Globalization;

namespace Traductor.Cli.Commands;

/// <summary>
/// "--name value" / "--name=value" / "--flag" options of the model verbs. Unknown or repeated
/// options are errors, so a typo never silently falls back to a default.
/// </summary>
internal sealed class ModelArguments
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public List<string> Positional { get; } = [];

    public static ModelArguments Parse(IEnumerable<string> args, IReadOnlySet<string> flags)
    {
        var result = new ModelArguments();
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            string arg = e.Current;
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg == "--")
            {
                result.Positional.Add(arg);
                continue;
            }
            string name = arg[2..];
            string? value = null;
            int eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }
            else if (!flags.Contains(name))
            {
                if (!e.MoveNext())
                    throw new UsageException($"option --{name} needs a value");
                value = e.Current;
            }
            if (!result._values.TryAdd(name, value))
                throw new UsageException($"option --{name} is given twice");
        }
        return result;
    }

    public string? Get(string name)
    {
        _used.Add(name);
        return _values.TryGetValue(name, out var v) ? v : null;
    }

    public string Require(string name) => Get(name) ?? throw new UsageException($"option --{name} is required");

    public bool Flag(string name)
    {
        _used.Add(name);
        return _values.ContainsKey(name);
    }

    public int? Int(string name, int min = 1)
    {
        string? s = Get(name);
        if (s is null)
            return null;
        if (!int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int v) || v < min)
            throw new UsageException($"option --{name} must be an integer ≥ {min}, got '{s}'");
        return v;
    }

    /// <summary>Call after reading every option: anything left over is a mistake worth reporting.</summary>
    public void RejectUnknown()
    {
        var unknown = _values.Keys.Where(k => !_used.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw new UsageException($"unknown option{(unknown.Count > 1 ? "s" : "")} {string.Join(", ", unknown.Select(u => "--" + u))}");
    }
}

internal sealed class UsageException(string message) : Exception(message);
