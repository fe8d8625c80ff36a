using System.Globalization;
using System.Text;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Traductor.Bench;

// Usage: Traductor.Bench --model DIR [--results DIR] [--short]
//   Runs the engine-throughput, pipeline-overhead and cache-hit suites and writes
//   <results>/dotnet.md (or dotnet-short.md). --short: dry in-process jobs for CI.
string? model = null;
string results = "bench/results";
bool shortRun = false;
for (int i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--model" when i + 1 < args.Length: model = args[++i]; break;
        case "--results" when i + 1 < args.Length: results = args[++i]; break;
        case "--short": shortRun = true; break;
        default:
            Console.Error.WriteLine($"Traductor.Bench: unknown or incomplete argument '{args[i]}' (usage: --model DIR [--results DIR] [--short])");
            return 2;
    }
}
if (model is null || !File.Exists(Path.Combine(model, "model.bin")))
{
    Console.Error.WriteLine($"Traductor.Bench: --model must name a CTranslate2 model directory (got '{model ?? "nothing"}')");
    return 2;
}

model = Path.GetFullPath(model);
Directory.CreateDirectory(results);
string rssFile = Path.Combine(Path.GetTempPath(), $"traductor-bench-rss-{Environment.ProcessId}.tsv");
File.WriteAllText(rssFile, "");
Environment.SetEnvironmentVariable(BenchSettings.ModelVariable, model);
Environment.SetEnvironmentVariable(BenchSettings.RssFileVariable, rssFile);

// Full runs give every case its own process (so each peak RSS is its own); engine calls take
// seconds, so a few monitored iterations are enough. Short runs stay in-process, one iteration.
Job engineJob = shortRun
    ? Job.Dry.WithToolchain(InProcessEmitToolchain.Instance)
    : Job.Default.WithStrategy(RunStrategy.Monitoring).WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(3);
Job pipelineJob = shortRun
    ? Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(1).WithIterationCount(3)
    : Job.ShortRun;
IConfig Config(Job job) => DefaultConfig.Instance.AddJob(job).WithOptions(ConfigOptions.DisableOptimizationsValidator)
    .WithArtifactsPath(Path.Combine(Path.GetTempPath(), "traductor-bench-artifacts"));

var summaries = new List<Summary>
{
    BenchmarkRunner.Run<EngineThroughputBenchmarks>(Config(engineJob)),
    BenchmarkRunner.Run<PipelineOverheadBenchmarks>(Config(pipelineJob)),
    BenchmarkRunner.Run<CacheHitBenchmarks>(Config(pipelineJob)),
};

var rss = new Dictionary<string, string>();
foreach (string line in File.ReadAllLines(rssFile))
    if (line.Split('\t') is [var id, var mb])
        rss[id] = mb;
File.Delete(rssFile);

string table = ResultsTable.Write(summaries, rss, model, shortRun);
string path = Path.Combine(results, shortRun ? "dotnet-short.md" : "dotnet.md");
File.WriteAllText(path, table, new UTF8Encoding(false));
Console.WriteLine(table);
Console.Error.WriteLine($"Traductor.Bench: wrote {path}");
bool failed = summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success));
return failed ? 1 : 0;
