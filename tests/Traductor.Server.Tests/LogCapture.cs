using System.Text;
using System.Text.Json;

namespace Traductor.Server.Tests;

/// <summary>Collects the server's log lines; safe to read while the server writes.</summary>
internal sealed class LogCapture : TextWriter
{
    private readonly StringBuilder _text = new();
    private readonly Lock _gate = new();

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value)
    {
        lock (_gate)
            _text.Append(value);
    }

    public override void Write(string? value)
    {
        lock (_gate)
            _text.Append(value);
    }

    public string Text
    {
        get
        {
            lock (_gate)
                return _text.ToString();
        }
    }

    /// <summary>Every line parsed as JSON; fails the test on a line that is not one JSON object.</summary>
    public IReadOnlyList<JsonElement> Lines => Text.Split('\n', StringSplitOptions.RemoveEmptyEntries)
        .Select(line =>
        {
            using var doc = JsonDocument.Parse(line);
            Assert.Equal(JsonValueKind.Object, doc.RootElement.ValueKind);
            return doc.RootElement.Clone();
        })
        .ToList();
}
