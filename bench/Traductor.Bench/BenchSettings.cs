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

    /// <summary>Resident set size of this process now (VmRSS), in MB; native allocations included.</summary>
    public static double RssMb() => StatusFieldMb("VmRSS:");

    private static double StatusFieldMb(string key)
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(key, StringComparison.Ordinal))
                return double.Parse(line[key.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
        return 0;
    }

    /// <summary>Appends "case-id rss" for the results table when a case ends.</summary>
    public static void RecordRss(string caseId)
    {
        if (Environment.GetEnvironmentVariable(RssFileVariable) is not { Length: > 0 } file)
            return;
        File.AppendAllText(file, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{caseId}\t{RssMb():F0}\n"));
    }
}
