using Traductor.Native;

namespace Traductor.Core.Scheduling;

/// <summary>Runs batches on the native translator (its replicas do the parallel work).</summary>
internal sealed class NativeSegmentEngine(NativeTranslator translator) : ISegmentEngine
{
    public IReadOnlyList<IReadOnlyList<string>> TranslateBatch(
        IReadOnlyList<IReadOnlyList<string>> sources,
        IReadOnlyList<IReadOnlyList<string>> targetPrefixes,
        DecodingSettings settings,
        CancellationToken cancellationToken)
    {
        var options = new DecodingOptions
        {
            BeamSize = settings.BeamSize,
            MaxDecodingLength = settings.MaxDecodingLength,
            // The end token tells a finished hypothesis from one cut at max_decoding_length.
            ReturnEndToken = true,
            // Segments are already split to fit the model: nothing may be truncated silently.
            MaxInputLength = 0,
        };
        var results = translator.TranslateBatch(sources, targetPrefixes, options, cancellationToken);
        var hypotheses = new IReadOnlyList<string>[results.Count];
        for (var i = 0; i < results.Count; i++)
        {
            hypotheses[i] = results[i].Hypotheses.Count > 0 ? results[i].Hypotheses[0] : [];
        }
        return hypotheses;
    }
}
