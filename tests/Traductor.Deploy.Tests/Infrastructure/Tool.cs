using System.Diagnostics;
using System.Text;

namespace Traductor.Deploy.Tests.Infrastructure;

/// <summary>The outcome of one run of an external tool.</summary>
internal sealed record ToolResult(string Command, int ExitCode, string StandardOutput, string StandardError)
{
    public string Output => StandardOutput + StandardError;

    /// <summary>Everything a failure message needs to be understood without re-running.</summary>
    public string Describe() => $"$ {Command}\nexit code {ExitCode}\n--- stdout\n{StandardOutput}\n--- stderr\n{StandardError}";
}

/// <summary>
/// Runs the real checkers (systemd-analyze, nginx, promtool, node, openssl). A missing tool fails the
/// test with the command that installs it: scripts/install-deps.sh installs every one of them, so in CI
/// a missing tool is a broken setup, never a reason to skip.
/// </summary>
internal static class Tool
{
    public static string Require(string name, string installedBy)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(["/usr/sbin", "/sbin"]))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
                return candidate;
        }
        Assert.Fail($"'{name}' is not installed; it comes from {installedBy} (run: sudo bash scripts/install-deps.sh)");
        return name;
    }

    public static ToolResult Run(string file, IEnumerable<string> arguments, string? workingDirectory = null, TimeSpan? timeout = null, IDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? RepoPaths.Root,
        };
        foreach (var a in arguments)
            info.ArgumentList.Add(a);
        if (environment is not null)
        {
            foreach (var (key, value) in environment)
                info.Environment[key] = value;
        }
        var command = string.Join(' ', [file, .. info.ArgumentList]);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {command}");
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"timed out: {command}");
        }
        process.WaitForExit();
        return new ToolResult(command, process.ExitCode, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Runs and asserts exit code 0, showing the whole output otherwise.</summary>
    public static ToolResult Succeed(string file, IEnumerable<string> arguments, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var result = Run(file, arguments, workingDirectory, timeout);
        Assert.True(result.ExitCode == 0, result.Describe());
        return result;
    }
}
