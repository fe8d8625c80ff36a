using System.Globalization;
using System.Text;

namespace Traductor.Models.Ct2;

/// <summary>
/// Writes JSON byte-for-byte like Python's <c>json.dump(obj, indent=2[, sort_keys=True])</c> with
/// the default <c>ensure_ascii=True</c>: every non-ASCII UTF-16 unit becomes a lowercase <c>\uXXXX</c>
/// (so astral characters come out as surrogate pairs), and <c>&lt; &gt; &amp;</c> stay as they are.
/// </summary>
public static class PythonJson
{
    /// <summary><c>json.dump(tokens, f, indent=2)</c>: no trailing newline.</summary>
    public static string TokenList(IReadOnlyList<string> tokens)
    {
        if (tokens.Count == 0)
            return "[]";
        var sb = new StringBuilder(tokens.Count * 16);
        sb.Append('[');
        for (int i = 0; i < tokens.Count; i++)
        {
            sb.Append(i == 0 ? "\n  " : ",\n  ");
            AppendString(sb, tokens[i]);
        }
        sb.Append("\n]");
        return sb.ToString();
    }

    /// <summary><c>json.dump(config, f, indent=2, sort_keys=True)</c> plus the newline CTranslate2 adds.</summary>
    public static string SortedObject(IReadOnlyDictionary<string, object?> values)
    {
        var sb = new StringBuilder();
        AppendValue(sb, values, 0);
        sb.Append('\n');
        return sb.ToString();
    }

    private static void AppendValue(StringBuilder sb, object? value, int indent)
    {
        switch (value)
        {
            case null: sb.Append("null"); break;
            case bool b: sb.Append(b ? "true" : "false"); break;
            case string s: AppendString(sb, s); break;
            case int or long or short or sbyte or byte or uint or ulong:
                sb.Append(Convert.ToString(value, CultureInfo.InvariantCulture)); break;
            case float f: AppendFloat(sb, f); break;
            case double d: AppendFloat(sb, d); break;
            case IReadOnlyDictionary<string, object?> dict:
                if (dict.Count == 0) { sb.Append("{}"); break; }
                sb.Append('{');
                bool first = true;
                foreach (var key in dict.Keys.OrderBy(k => k, StringComparer.Ordinal))
                {
                    sb.Append(first ? "\n" : ",\n").Append(' ', indent + 2);
                    first = false;
                    AppendString(sb, key);
                    sb.Append(": ");
                    AppendValue(sb, dict[key], indent + 2);
                }
                sb.Append('\n').Append(' ', indent).Append('}');
                break;
            case System.Collections.IEnumerable list:
                var items = list.Cast<object?>().ToList();
                if (items.Count == 0) { sb.Append("[]"); break; }
                sb.Append('[');
                for (int i = 0; i < items.Count; i++)
                {
                    sb.Append(i == 0 ? "\n" : ",\n").Append(' ', indent + 2);
                    AppendValue(sb, items[i], indent + 2);
                }
                sb.Append('\n').Append(' ', indent).Append(']');
                break;
            default:
                throw new ArgumentException($"cannot write a {value.GetType().Name} as JSON");
        }
    }

    /// <summary>Python's float repr: shortest round-trip digits, "1e-05" style exponents, ".0" on integers.</summary>
    private static void AppendFloat(StringBuilder sb, double d)
    {
        if (double.IsNaN(d)) { sb.Append("NaN"); return; }
        if (double.IsInfinity(d)) { sb.Append(d > 0 ? "Infinity" : "-Infinity"); return; }
        string r = d.ToString("R", CultureInfo.InvariantCulture);
        int e = r.IndexOf('E');
        if (e >= 0)
        {
            string mantissa = r[..e];
            int exponent = int.Parse(r[(e + 1)..], CultureInfo.InvariantCulture);
            if (exponent >= -4 && exponent < 16)
                r = ((decimal)d).ToString(CultureInfo.InvariantCulture);
            else
                r = mantissa + "e" + (exponent < 0 ? "-" : "+") + Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture);
        }
        if (!r.Contains('.', StringComparison.Ordinal) && !r.Contains('e', StringComparison.Ordinal))
        {
            r += ".0";
        }
        sb.Append(r);
    }
    private static void AppendFloat(StringBuilder sb, float f) => AppendFloat(sb, (double)f);

    public static void AppendString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20 || c > 0x7E && c != 0x7F)
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else
                        sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }
}
