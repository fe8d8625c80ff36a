using System.Net;
using System.Net.Sockets;
using System.Text;
using Traductor.Deploy.Tests.Infrastructure;

namespace Traductor.Deploy.Tests;

/// <summary>
/// The Dockerfile, linted by dockerfile-utils (the linter behind VS Code's Dockerfile support, from
/// npm; hadolint is not packaged for Debian) and checked for what the issue requires. No Docker engine
/// runs here: the image itself is not built in CI.
/// </summary>
public sealed class DockerfileTests
{
    private readonly ITestOutputHelper _output;

    public DockerfileTests(ITestOutputHelper output) => _output = output;

    [Fact]
    public void LintIsClean()
    {
        var result = NodeTools.Bin("dockerfile-utils", "lint", Dockerfile.Path);
        _output.WriteLine(result.Describe());
        // dockerfile-utils prints nothing and exits 0 for a clean file; warnings count as failures too.
        Assert.True(result.ExitCode == 0 && result.Output.Trim().Length == 0, result.Describe());
    }

    [Fact]
    public void LintCatchesErrors()
    {
        using var dir = new TempDirectory("dockerfile");
        var path = dir.File("Dockerfile");
        File.WriteAllText(path, "FROM debian:12-slim\nEXPOSE http\nHEALTHCHECK --interval=soon CMD true\nCOPY\n");
        var result = NodeTools.Bin("dockerfile-utils", "lint", path);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("Invalid containerPort", result.Output, StringComparison.Ordinal);
        Assert.Contains("invalid duration", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void BuildStageRunsTheSameStepsAsCi()
    {
        var file = Dockerfile.Load();
        Assert.Equal(["dotnet-sdk", "dotnet-runtime", "build", "runtime"], file.Stages);
        Assert.Equal(["${DEBIAN_IMAGE} AS build"], file.Instruction("build", "FROM"));
        Assert.Contains("DEBIAN_IMAGE=debian:12-slim", File.ReadAllText(Dockerfile.Path), StringComparison.Ordinal);
        var run = string.Join('\n', file.Instruction("build", "RUN"));
        Assert.Contains("bash scripts/install-deps.sh", run, StringComparison.Ordinal);
        Assert.Contains("dotnet restore Traductor.sln", run, StringComparison.Ordinal);
        Assert.Contains("make build", run, StringComparison.Ordinal);
        Assert.Contains("dotnet publish src/Traductor.Cli -c Release", run, StringComparison.Ordinal);
        Assert.Contains("scripts/native-runtime-deps.sh --apt-pins", run, StringComparison.Ordinal);
    }

    [Fact]
    public void RuntimeStageIsSmallAndUnprivileged()
    {
        var file = Dockerfile.Load();
        Assert.Equal(["${DEBIAN_IMAGE} AS runtime"], file.Instruction("runtime", "FROM"));
        var run = string.Join('\n', file.Instruction("runtime", "RUN"));
        Assert.Contains("--no-install-recommends", run, StringComparison.Ordinal);
        Assert.Contains("rm -rf /var/lib/apt/lists/*", run, StringComparison.Ordinal);
        foreach (var tool in new[] { "curl", "wget", "build-essential", "g++", "cmake", "-dev" })
            Assert.DoesNotContain(tool, run, StringComparison.Ordinal);

        var user = Assert.Single(file.Instruction("runtime", "USER"));
        Assert.Matches(@"^[1-9][0-9]{3,}:[1-9][0-9]{3,}$", user);
        Assert.Equal(["8000"], file.Instruction("runtime", "EXPOSE"));
        Assert.Equal(["[\"/usr/share/dotnet/dotnet\", \"/app/traductor.dll\"]"], file.Instruction("runtime", "ENTRYPOINT"));
        Assert.Equal(["[\"serve\"]"], file.Instruction("runtime", "CMD"));
        var env = file.Environment("runtime");
        Assert.Equal("0.0.0.0", env["HOST"]);
        Assert.Equal("false", env["LOG_TRANSLATIONS"]);
        Assert.StartsWith("/models/", env["MODEL_PATH"], StringComparison.Ordinal);
        // HOST=0.0.0.0 only inside the container: no other stage or file sets it as a default.
        Assert.DoesNotContain("HOST", file.Environment("build").Keys);
        Assert.Equal("127.0.0.1", EnvExample.Values()["HOST"]);
    }

    [Fact]
    public void HealthcheckUsesTheShippedScript()
    {
        var file = Dockerfile.Load();
        var check = Assert.Single(file.Instruction("runtime", "HEALTHCHECK"));
        Assert.EndsWith("CMD [\"/usr/local/bin/traductor-healthcheck\"]", check, StringComparison.Ordinal);
        Assert.Contains("--start-period=", check, StringComparison.Ordinal);
        Assert.Contains("COPY --from=build /out/healthcheck /usr/local/bin/traductor-healthcheck", file.Instruction("runtime", "COPY").Select(c => "COPY " + c));
        Assert.Contains(file.Instruction("build", "RUN"), r => r.Contains("install -m 0755 deploy/docker/healthcheck.sh /out/healthcheck", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(200, 0)]
    [InlineData(503, 1)]
    [InlineData(500, 1)]
    public async Task HealthcheckScriptPassesOnlyOn200(int status, int expectedExit)
    {
        using var server = new OneShotHttpServer(status);
        var result = RunHealthcheck(server.Port);
        Assert.True(expectedExit == result.ExitCode, result.Describe());
        Assert.StartsWith("GET /health HTTP/1.1", await server.RequestLine, StringComparison.Ordinal);
    }

    [Fact]
    public void HealthcheckScriptFailsWhenNothingListens()
    {
        var port = FreePort.Next();
        var result = RunHealthcheck(port);
        Assert.Equal(1, result.ExitCode);
    }

    [Fact]
    public void DockerIgnoreKeepsBuildOutputsAndModelsOutOfTheContext()
    {
        var lines = File.ReadAllLines(RepoPaths.File(".dockerignore")).Select(l => l.Trim()).ToHashSet(StringComparer.Ordinal);
        foreach (var entry in new[] { ".git", "**/bin", "**/obj", "/build", "/models", "**/node_modules", ".env" })
            Assert.Contains(entry, lines);
    }

    [Fact]
    public void MakefileBuildsAndRunsTheImageAsTheHandbookSays()
    {
        var makefile = File.ReadAllText(RepoPaths.File("Makefile"));
        Assert.Contains("IMAGE ?= traductor-es-da:latest", makefile, StringComparison.Ordinal);
        Assert.Contains("docker build -t $(IMAGE) .", makefile, StringComparison.Ordinal);
        var run = makefile[makefile.IndexOf("docker-run:", StringComparison.Ordinal)..];
        run = run[..run.IndexOf("\n\n", StringComparison.Ordinal)];
        foreach (var flag in new[] { "--restart unless-stopped", "/models:ro", "--memory=8g", "--cpus=2", "--read-only", "--tmpfs /tmp", "--cap-drop ALL", "--security-opt no-new-privileges" })
            Assert.Contains(flag, run, StringComparison.Ordinal);
        // docker stop waits --stop-timeout before SIGKILL; the service drains for SHUTDOWN_TIMEOUT.
        var stop = int.Parse(System.Text.RegularExpressions.Regex.Match(run, @"--stop-timeout (\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(stop > int.Parse(EnvExample.Defaults()["SHUTDOWN_TIMEOUT"], System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void RuntimePackagesCoverEveryLibraryTheEngineLinks()
    {
        // What the runtime stage installs is computed from ldd of the library the build produced.
        var lib = RepoPaths.File("build", "native", "libtraductor.so");
        Assert.True(File.Exists(lib), $"{lib} is not built (run 'make native')");
        var table = Tool.Succeed("bash", [RepoPaths.File("scripts", "native-runtime-deps.sh"), lib]);
        var pins = Tool.Succeed("bash", [RepoPaths.File("scripts", "native-runtime-deps.sh"), "--apt-pins", lib]);
        _output.WriteLine(table.StandardOutput);
        var needed = Tool.Succeed("ldd", [lib]).StandardOutput.Split('\n')
            .Where(l => l.Contains("=> /", StringComparison.Ordinal)).Select(l => l.Trim().Split(' ')[0]).ToList();
        var rows = table.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')).ToList();
        Assert.Equal(needed, rows.Select(r => r[0]));
        var pinned = pins.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(rows.Select(r => $"{r[2]}={r[3]}").Distinct(), pinned);
        Assert.Contains(pinned, p => p.StartsWith("libstdc++6=", StringComparison.Ordinal));
    }

    private static ToolResult RunHealthcheck(int port) =>
        Tool.Run("bash", [RepoPaths.File("deploy", "docker", "healthcheck.sh")], timeout: TimeSpan.FromSeconds(20),
            environment: new Dictionary<string, string> { ["PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture) });

    /// <summary>Answers one HTTP request on 127.0.0.1 with a fixed status, recording the request line.</summary>
    private sealed class OneShotHttpServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

        public OneShotHttpServer(int status)
        {
            _listener.Start();
            RequestLine = Task.Run(async () =>
            {
                using var client = await _listener.AcceptTcpClientAsync().ConfigureAwait(false);
                using var stream = client.GetStream();
                using var reader = new StreamReader(stream, Encoding.ASCII, leaveOpen: true);
                var line = await reader.ReadLineAsync().ConfigureAwait(false) ?? "";
                while (!string.IsNullOrEmpty(await reader.ReadLineAsync().ConfigureAwait(false)))
                {
                }
                var body = "{}";
                var response = $"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{body}";
                await stream.WriteAsync(Encoding.ASCII.GetBytes(response)).ConfigureAwait(false);
                return line;
            });
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public Task<string> RequestLine { get; }

        public void Dispose() => _listener.Stop();
    }
}
