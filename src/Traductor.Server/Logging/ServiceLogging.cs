using Serilog;
using Serilog.Events;
using Traductor.Server.Settings;

namespace Traductor.Server.Logging;

/// <summary>Builds the process logger: JSON lines, the service's level, framework chatter kept private.</summary>
internal static class ServiceLogging
{
    public static Serilog.Core.Logger Create(ServerSettings settings, TextWriter output)
    {
        // Framework categories log request paths, query strings and parser messages below Warning, any
        // of which can carry text: they stay at Warning or above unless translations may be logged.
        var framework = settings.LogTranslations || settings.LogLevel >= LogEventLevel.Warning ? settings.LogLevel : LogEventLevel.Warning;
        return new LoggerConfiguration()
            .MinimumLevel.Is(settings.LogLevel)
            .MinimumLevel.Override("Microsoft", framework)
            .MinimumLevel.Override("System", framework)
            .MinimumLevel.Override("Microsoft.Hosting.Lifetime", settings.LogLevel)
            .WriteTo.Sink(new PrivateTextSink(new JsonLineFormatter(), output, settings.LogTranslations))
            .CreateLogger();
    }
}
