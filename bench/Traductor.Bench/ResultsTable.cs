using System.Globalization;
using System.Text;
using BenchmarkDotNet.Reports;

namespace Traductor.Bench;

/// <summary>The markdown written under bench/results/: one row per benchmark case.</summary>
internal static class ResultsTable
{
    public static string Write(IReadOnlyList<Summary> summaries, IReadOnlyDictionary<string, string> rss, string model, bool shortRun)
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(c, $"# BenchmarkDotNet suites ({(shortRun ? "short: dry jobs, 1 iteration" : "full")}, in-process)");
        sb.AppendLine();
        sb.AppendLine(c, $"- {DateTime.Now:yyyy-MM-dd HH:mm}, model `{model}`, {Environment.ProcessorCount} cores, load average {File.ReadAllText("/proc/loadavg").Trim()}.");
        sb.AppendLine(c, $"- Engine rows: {BenchSettings.SourceLength}-token sources, output forced to {BenchSettings.OutputLength} tokens; tokens/s = batch x {BenchSettings.OutputLength} / mean call time. Threads = inter (replicas) x intra (threads per replica). All cases share one process, so RSS is the process's resident set when the case ended (the per-configuration peak is in engine.md).");
        sb.AppendLine();
        sb.AppendLine("## Engine throughput (C# bindings)");
        sb.AppendLine();
        sb.AppendLine("| batch | beam | threads | mean s/call | tokens/s | tokens/s per core | RSS after case MB |");
        sb.AppendLine("| --- | --- | --- | --- | --- | --- | --- |");
        foreach (var report in summaries.SelectMany(s => s.Reports).Where(r => r.BenchmarkCase.Descriptor.Type == typeof(EngineThroughputBenchmarks)))
        {
            var p = report.BenchmarkCase.Parameters;
            int batch = (int)p["Batch"];
            int beam = (int)p["Beam"];
            var threads = (ThreadLayout)p["Threads"];
            string id = $"Engine:{batch}:{beam}:{threads}";
            if (report.ResultStatistics is not { } stats)
            {
                sb.AppendLine(c, $"| {batch} | {beam} | {threads} | failed | - | - | - |");
                continue;
            }
            double seconds = stats.Mean / 1e9;
            double tps = batch * BenchSettings.OutputLength / seconds;
            sb.AppendLine(c, $"| {batch} | {beam} | {threads} | {seconds:F3} | {tps:F1} | {tps / (threads.Inter * threads.Intra):F1} | {rss.GetValueOrDefault(id, "?")} |");
        }
        sb.AppendLine();
        sb.AppendLine("## Pipeline overhead and cache hits (no engine work)");
        sb.AppendLine();
        sb.AppendLine("| benchmark | mean µs | allocated KB | RSS after case MB |");
        sb.AppendLine("| --- | --- | --- | --- |");
        foreach (var report in summaries.SelectMany(s => s.Reports).Where(r => r.BenchmarkCase.Descriptor.Type != typeof(EngineThroughputBenchmarks)))
        {
            string name = report.BenchmarkCase.Descriptor.WorkloadMethod.Name;
            string rssId = report.BenchmarkCase.Descriptor.Type == typeof(CacheHitBenchmarks) ? "CacheHit" : "Pipeline";
            if (report.ResultStatistics is not { } stats)
            {
                sb.AppendLine(c, $"| {name} | failed | - | - |");
                continue;
            }
            long? bytes = report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase);
            sb.AppendLine(c, $"| {name} | {stats.Mean / 1e3:F1} | {(bytes is { } b ? (b / 1024.0).ToString("F1", c) : "?")} | {rss.GetValueOrDefault(rssId, "?")} |");
        }
        return sb.ToString();
    }
}
