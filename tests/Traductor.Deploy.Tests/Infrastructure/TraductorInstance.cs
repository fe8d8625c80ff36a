using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Traductor.Deploy.Tests.Infrastructure;

/// <summary>
/// One `traductor serve` process on 127.0.0.1, run the way the container runs it
/// (<c>dotnet traductor.dll serve</c>, settings from the environment). Its output goes to a file so a
/// failure can show it.
/// </summary>
internal sealed class TraductorInstance : IDisposable
{
    private readonly Process _process;
    private readonly string _log;

    private TraductorInstance(Process process, int port, string log)
    {
        _process = process;
        Port = port;
        _log = log;
    }

    public int Port { get; }

    public int ProcessId => _process.Id;

    public string Log => File.Exists(_log) ? File.ReadAllText(_log) : "";

    public static TraductorInstance Start(int port, IReadOnlyDictionary<string, string> settings, string logDirectory)
    {
        var dotnet = Tool.Require("dotnet", "the .NET SDK");
        var log = Path.Combine(logDirectory, $"traductor-{port}-{DateTime.UtcNow:HHmmssfff}.log");
        // The shell redirect keeps the child's output in a file without the test having to pump it.
        var info = new ProcessStartInfo("bash") { UseShellExecute = false, WorkingDirectory = logDirectory };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add("exec \"$0\" \"$1\" serve >\"$2\" 2>&1");
        info.ArgumentList.Add(dotnet);
        info.ArgumentList.Add(TraductorProgram.Assembly());
        info.ArgumentList.Add(log);
        foreach (var (key, value) in settings)
            info.Environment[key] = value;
        info.Environment["HOST"] = "127.0.0.1";
        info.Environment["PORT"] = port.ToString(CultureInfo.InvariantCulture);
        var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start traductor serve");
        return new TraductorInstance(process, port, log);
    }

    /// <summary>Waits for /health 200; fails with the service's own reason if the model load failed.</summary>
    public async Task WaitHealthyAsync(TimeSpan timeout)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var deadline = DateTime.UtcNow + timeout;
        var last = "no answer";
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(_process.HasExited, $"traductor serve on port {Port} exited with {(_process.HasExited ? _process.ExitCode : 0)}:\n{Log}");
            try
            {
                using var response = await client.GetAsync(new Uri($"http://127.0.0.1:{Port}/health"));
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
                if (response.IsSuccessStatusCode)
                    return;
                using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                if (body.RootElement.GetProperty("status").GetString() == "failed")
                    Assert.Fail($"the model did not load on port {Port}: {last}\n{Log}");
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet, or too busy starting (JIT, model load) to answer in time.
                last = e.Message;
            }
            await Task.Delay(100);
        }
        Assert.Fail($"traductor serve on port {Port} not healthy after {timeout.TotalSeconds} s (last: {last}):\n{Log}");
    }

    /// <summary>SIGTERM, as docker stop / systemctl stop / Kubernetes send; returns the exit code and how long the drain took.</summary>
    public async Task<(int ExitCode, TimeSpan Elapsed)> TerminateAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        Tool.Succeed("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"traductor serve on port {Port} did not exit within {timeout.TotalSeconds} s of SIGTERM:\n{Log}");
        }
        return (_process.ExitCode, clock.Elapsed);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        _process.Dispose();
    }
}
