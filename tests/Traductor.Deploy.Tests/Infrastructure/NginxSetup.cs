using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;

namespace Traductor.Deploy.Tests.Infrastructure;

/// <summary>
/// deploy/nginx/traductor.conf made runnable on loopback by an unprivileged test: the listen ports,
/// upstream ports, certificate and log paths are rewritten (each rewrite must apply exactly as often
/// as expected, so a changed config fails loudly here instead of being tested half-way), inside a
/// minimal main nginx.conf that includes it in http {} the way Debian's conf.d does.
/// </summary>
internal sealed class NginxSetup : IDisposable
{
    public static string ConfigPath { get; } = RepoPaths.File("deploy", "nginx", "traductor.conf");

    private readonly TempDirectory _dir = new("nginx");
    private Process? _process;

    public NginxSetup(IReadOnlyList<int> upstreamPorts, string? configText = null)
    {
        Nginx = Tool.Require("nginx", "Debian's nginx package");
        HttpsPort = FreePort.Next();
        HttpPort = FreePort.Next();
        Directory.CreateDirectory(_dir.File("logs"));
        Directory.CreateDirectory(_dir.File("temp"));
        MakeCertificate();

        var text = configText ?? File.ReadAllText(ConfigPath);
        text = Replace(text, "server 127.0.0.1:8001 ", $"server 127.0.0.1:{upstreamPorts[0]} ", 1);
        text = Replace(text, "server 127.0.0.1:8002 ", $"server 127.0.0.1:{upstreamPorts[1]} ", 1);
        text = Replace(text, "listen 443 ssl http2;", $"listen 127.0.0.1:{HttpsPort} ssl http2;", 1);
        text = Replace(text, "    listen [::]:443 ssl http2;\n", "", 1);
        text = Replace(text, "listen 80;", $"listen 127.0.0.1:{HttpPort};", 1);
        text = Replace(text, "    listen [::]:80;\n", "", 1);
        text = Replace(text, "/etc/nginx/tls/traductor.crt", _dir.File("tls.crt"), 1);
        text = Replace(text, "/etc/nginx/tls/traductor.key", _dir.File("tls.key"), 1);
        text = Replace(text, "/var/log/nginx/", _dir.File("logs") + "/", 2);
        File.WriteAllText(_dir.File("traductor.conf"), text);

        File.WriteAllText(MainConfig, $$"""
            worker_processes 1;
            pid {{_dir.File("nginx.pid")}};
            error_log {{_dir.File("logs/error.log")}} info;
            events { worker_connections 512; }
            http {
                access_log {{_dir.File("logs/access.log")}};
                client_body_temp_path {{_dir.File("temp/body")}};
                proxy_temp_path {{_dir.File("temp/proxy")}};
                fastcgi_temp_path {{_dir.File("temp/fastcgi")}};
                uwsgi_temp_path {{_dir.File("temp/uwsgi")}};
                scgi_temp_path {{_dir.File("temp/scgi")}};
                include {{_dir.File("traductor.conf")}};
            }
            """);
    }

    public string Nginx { get; }

    public int HttpsPort { get; }

    public int HttpPort { get; }

    public string MainConfig => _dir.File("nginx.conf");

    public string AccessLog => _dir.File("logs/traductor.access.log");

    public string ErrorLog => _dir.File("logs/traductor.error.log");

    /// <summary>`nginx -t` on the whole configuration.</summary>
    public ToolResult Test() => Tool.Run(Nginx, ["-t", "-p", _dir.Path, "-c", MainConfig, "-e", _dir.File("logs/error.log")]);

    /// <summary>Starts nginx in the foreground (a child of the test) and waits until it accepts connections.</summary>
    public void Start()
    {
        var info = new ProcessStartInfo(Nginx) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-p", _dir.Path, "-c", MainConfig, "-e", _dir.File("logs/error.log"), "-g", "daemon off;" })
            info.ArgumentList.Add(a);
        _process = Process.Start(info) ?? throw new InvalidOperationException("cannot start nginx");
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(_process.HasExited, "nginx exited at start:\n" + _process.StandardError.ReadToEnd() + File.ReadAllText(_dir.File("logs/error.log")));
            try
            {
                using var client = new TcpClient();
                client.Connect("127.0.0.1", HttpsPort);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(50);
            }
        }
        Assert.Fail("nginx did not start listening within 15 s");
    }

    public void Dispose()
    {
        if (_process is { HasExited: false })
        {
            // SIGQUIT: graceful stop of master and workers.
            Process.Start("kill", ["-QUIT", _process.Id.ToString(CultureInfo.InvariantCulture)])?.WaitForExit();
            if (!_process.WaitForExit(10_000))
                _process.Kill(entireProcessTree: true);
        }
        _process?.Dispose();
        _dir.Dispose();
    }

    private void MakeCertificate()
    {
        var openssl = Tool.Require("openssl", "Debian's openssl package");
        Tool.Succeed(openssl, ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
            "-keyout", _dir.File("tls.key"), "-out", _dir.File("tls.crt")]);
    }

    private static string Replace(string text, string from, string to, int expected)
    {
        var count = 0;
        for (var i = text.IndexOf(from, StringComparison.Ordinal); i >= 0; i = text.IndexOf(from, i + from.Length, StringComparison.Ordinal))
            count++;
        Assert.True(count == expected, $"deploy/nginx/traductor.conf: expected '{from.Trim()}' {expected} time(s), found {count}; update NginxSetup with the config");
        return text.Replace(from, to, StringComparison.Ordinal);
    }
}
