namespace Traductor.Native;

/// <summary>How a model is loaded and run (see <c>trd_translator_config_*</c> in traductor.h).</summary>
public sealed record TranslatorConfig
{
    /// <summary>"default" (the model's own type; int8 runs as int8_float32), "float32", "int8" or "int8_float32".</summary>
    public string ComputeType { get; init; } = "default";

    /// <summary>Replicas sharing one copy of the weights; at least 1.</summary>
    public int InterThreads { get; init; } = 1;

    /// <summary>Compute threads per replica; 0 = OMP_NUM_THREADS if set, else min(4, cores).</summary>
    public int IntraThreads { get; init; }

    /// <summary>Batches waiting for a replica; 0 = 4 x <see cref="InterThreads"/>, -1 = unbounded.</summary>
    public int MaxQueuedBatches { get; init; }
}
