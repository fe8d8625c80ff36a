using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace Traductor.Server.Logging;

/// <summary>
/// Writes formatted events as lines. Unless translations may be logged, an event's exception is reduced
/// to its type and stack trace: exception messages (a JSON parser's, a framework's) can quote the request.
/// </summary>
internal sealed class PrivateTextSink(ITextFormatter formatter, TextWriter output, bool logTranslations) : ILogEventSink
{
    private readonly Lock _gate = new();

    public void Emit(LogEvent logEvent)
    {
        if (!logTranslations && logEvent.Exception is { } exception)
            logEvent = WithoutExceptionMessage(logEvent, exception);
        using var line = new StringWriter();
        formatter.Format(logEvent, line);
        lock (_gate)
        {
            output.Write(line.ToString());
            output.Flush();
        }
    }

    private static LogEvent WithoutExceptionMessage(LogEvent logEvent, Exception exception)
    {
        var properties = logEvent.Properties.Select(p => new LogEventProperty(p.Key, p.Value)).ToList();
        properties.Add(new LogEventProperty("exception_type", new ScalarValue(exception.GetType().FullName)));
        properties.Add(new LogEventProperty("stack_trace", new ScalarValue(StackOf(exception))));
        return new LogEvent(logEvent.Timestamp, logEvent.Level, exception: null, logEvent.MessageTemplate, properties);
    }

    private static string StackOf(Exception exception)
    {
        var parts = new List<string>();
        for (var e = exception; e is not null; e = e.InnerException)
            parts.Add($"{e.GetType().FullName}\n{e.StackTrace}");
        return string.Join("\n--- inner ---\n", parts);
    }
}
