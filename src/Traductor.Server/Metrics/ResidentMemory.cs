using System.Globalization;

namespace Traductor.Server.Metrics;

/// <summary>
/// Resident set size, the figure the operators' alert rule uses (<c>process_resident_memory_bytes</c>).
/// prometheus-net only exports the working set, which .NET computes differently on some platforms.
/// </summary>
internal static class ResidentMemory
{
    public static long Bytes()
    {
        // /proc/self/statm: size resident shared text lib data dt, in pages.
        try
        {
            var fields = File.ReadAllText("/proc/self/statm").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > 1 && long.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pages))
                return pages * Environment.SystemPageSize;
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        using var process = System.Diagnostics.Process.GetCurrentProcess();
        return process.WorkingSet64;
    }
}
