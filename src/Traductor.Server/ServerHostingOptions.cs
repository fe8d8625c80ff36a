using Traductor.Core;

namespace Traductor.Server;

/// <summary>What a host of the server may replace: where logs go and how the model is loaded (tests; defaults for production).</summary>
public sealed class ServerHostingOptions
{
    /// <summary>Where JSON log lines go; default stdout.</summary>
    public TextWriter? LogOutput { get; init; }

    /// <summary>Loads the model; default <see cref="TranslationService.Load"/>. Tests wrap it to make a load slow.</summary>
    public Func<TranslationServiceOptions, TranslationService>? LoadModel { get; init; }
}
