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

// In-process jobs: no generated project to build and no child processes, which keeps a full pass
// affordable on a 2-core machine. Peak RSS per configuration comes from `traductor-engine bench`
// (one process per row); here each case records the process RSS when it ends. Engine calls take
// seconds, so a few monitored iterations are enough.
Job engineJob = (shortRun ? Job.Dry : Job.Default.WithStrategy(RunStrategy.Monitoring).WithLaunchCount(1).WithWarmupCount(1).WithIterationCount(3))
    .WithToolchain(InProcessEmitToolchain.Instance);
Job pipelineJob = Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance)
    .WithWarmupCount(shortRun ? 1 : 3).WithIterationCount(shortRun ? 3 : 10);
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
