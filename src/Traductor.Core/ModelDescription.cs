namespace Traductor.Core;

/// <summary>The loaded model.</summary>
/// <param name="Path">Model directory.</param>
/// <param name="EngineJson">The engine's own description (trd_translator_describe).</param>
/// <param name="IsSmokeModel">True for random-weight test models (<c>"traductor_smoke_model": true</c> in config.json): their output is nonsense.</param>
/// <param name="Directions">Direction codes the model serves.</param>
public sealed record ModelDescription(string Path, string EngineJson, bool IsSmokeModel, IReadOnlyList<string> Directions);
