using BenchmarkDotNet.Attributes;
using Traductor.Native;

namespace Traductor.Bench;

/// <summary>Replicas x threads per replica, as "inter x intra".</summary>
public readonly record struct ThreadLayout(int Inter, int Intra)
{
    public override string ToString() => $"{Inter}x{Intra}";
}

/// <summary>
/// Engine throughput through the C# bindings, per core count: one replica with 1 or 2 threads and
/// two single-threaded replicas, for one sentence and for a batch of 16. Output is forced to
/// exactly <see cref="BenchSettings.OutputLength"/> tokens (target prefix counted), as in the
/// native bench, so tokens per call = Batch x OutputLength (the TokensPerSecond column).
/// </summary>
public class EngineThroughputBenchmarks
{
    private NativeTranslator? _translator;
    private IReadOnlyList<IReadOnlyList<string>> _sources = [];
    private IReadOnlyList<IReadOnlyList<string>> _prefixes = [];
    private DecodingOptions _options = new();

    [Params(1, 16)]
    public int Batch { get; set; }

    // Beam 1 keeps a full pass affordable; beam 4 rows are in the native table (scripts/bench.sh).
    [Params(1)]
    public int Beam { get; set; }

    [ParamsSource(nameof(Layouts))]
    public ThreadLayout Threads { get; set; }

    public static IEnumerable<ThreadLayout> Layouts => [new(1, 1), new(1, 2), new(2, 1)];

    [GlobalSetup]
    public void Setup()
    {
        _translator = NativeTranslator.Load(BenchSettings.ModelDirectory,
            new TranslatorConfig { InterThreads = Threads.Inter, IntraThreads = Threads.Intra });
        (_sources, _prefixes) = BenchInputs.Make(_translator, Batch);
        _options = new DecodingOptions
        {
            BeamSize = Beam,
            MinDecodingLength = BenchSettings.OutputLength,
            MaxDecodingLength = BenchSettings.OutputLength,
            // Several replicas only help when one call is cut into one batch per replica.
            MaxBatchSize = Threads.Inter > 1 ? (Batch + Threads.Inter - 1) / Threads.Inter : 0,
        };
    }

    [Benchmark]
    public int Translate()
    {
        var results = _translator!.TranslateBatch(_sources, _prefixes, _options);
        int tokens = 0;
        foreach (var r in results)
            tokens += r.Hypotheses[0].Count;
        if (tokens != Batch * BenchSettings.OutputLength)
            throw new InvalidOperationException($"produced {tokens} tokens, expected {Batch * BenchSettings.OutputLength}: the forced output length was not honoured");
        return tokens;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        BenchSettings.RecordRss($"Engine:{Batch}:{Beam}:{Threads}");
        _translator?.Dispose();
    }
}
