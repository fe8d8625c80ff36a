namespace Traductor.Bench;

/// <summary>
/// What the benchmark processes share. BenchmarkDotNet runs every case in a child process, which
/// inherits the environment, so Program hands the model and the side files over through it.
/// </summary>
internal static class BenchSettings
{
    public const string ModelVariable = "TRD_BENCH_MODEL";
    public const string RssFileVariable = "TRD_BENCH_RSS_FILE";
    public const int SourceLength = 30;
    public const int OutputLength = 30;

    public static string ModelDirectory =>
        Environment.GetEnvironmentVariable(ModelVariable) is { Length: > 0 } dir
            ? dir
            : throw new InvalidOperationException($"{ModelVariable} is not set: run the suites through Program (--model DIR)");

    /// <summary>Peak resident set size of this process (VmHWM), in MB; native allocations included.</summary>
    public static double PeakRssMb() => StatusFieldMb("VmHWM:");

    private static double StatusFieldMb(string key)
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(key, StringComparison.Ordinal))
                return double.Parse(line[key.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
        return 0;
    }

    /// <summary>Appends "case-id peak-rss" for the results table (one line per benchmark process).</summary>
    public static void RecordPeakRss(string caseId)
    {
        if (Environment.GetEnvironmentVariable(RssFileVariable) is not { Length: > 0 } file)
            return;
        File.AppendAllText(file, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{caseId}\t{PeakRssMb():F0}\n"));
    }
}
