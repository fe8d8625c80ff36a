namespace Traductor.Core.Scheduling;

/// <summary>Decoding choices that must be equal for segments to share an engine call.</summary>
/// <param name="BeamSize">Beam width.</param>
/// <param name="MaxDecodingLength">CTranslate2's max_decoding_length (target prefix included).</param>
public readonly record struct DecodingSettings(int BeamSize, int MaxDecodingLength);

/// <summary>One segment ready for the engine: framed source tokens and target prefix.</summary>
/// <param name="Key">Identity of the work: equal keys are translated once even across requests.</param>
/// <param name="Source">Source tokens, framed (<c>[src_lang] pieces &lt;/s&gt;</c>).</param>
/// <param name="TargetPrefix">Target prefix (<c>[tgt_lang]</c>).</param>
/// <param name="Settings">Decoding settings.</param>
public sealed record SegmentJob(object Key, IReadOnlyList<string> Source, IReadOnlyList<string> TargetPrefix, DecodingSettings Settings);

/// <summary>Runs one batch of segments to completion: the seam between scheduling and the native engine.</summary>
public interface ISegmentEngine
{
    /// <summary>
    /// Translates every source (blocking) and returns the best hypothesis of each, target prefix
    /// and end token included. Throws <see cref="OperationCanceledException"/> when cancelled.
    /// </summary>
    IReadOnlyList<IReadOnlyList<string>> TranslateBatch(
        IReadOnlyList<IReadOnlyList<string>> sources,
        IReadOnlyList<IReadOnlyList<string>> targetPrefixes,
        DecodingSettings settings,
        CancellationToken cancellationToken);
}
