using Traductor.Core;

namespace Traductor.Server.Http;

/// <summary>A validated POST /translate request.</summary>
/// <param name="Texts">The texts, in order (one for a single-text request).</param>
/// <param name="IsBatch">True when the client sent an array: the response then carries an array too.</param>
/// <param name="Direction">Translation direction.</param>
/// <param name="Options">Decoding choices within the configured limits.</param>
internal sealed record TranslateRequest(IReadOnlyList<string> Texts, bool IsBatch, Direction Direction, TranslateOptions Options);
