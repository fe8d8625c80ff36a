using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Traductor.Models.Tests;

/// <summary>
/// A Hugging Face hub on 127.0.0.1 (real Kestrel), answering the way huggingface.co does:
/// <c>/{repo}/resolve/{rev}/{file}</c> gives large ("LFS") files as a 302 to a CDN on another port with
/// <c>X-Linked-Etag</c> (SHA-256) and <c>X-Linked-Size</c>, small files directly with their git blob id as
/// ETag; the CDN honours <c>Range</c>. Faults: cut a transfer after N bytes, or serve corrupted bytes.
/// </summary>
internal sealed class FakeHub : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Dictionary<string, byte[]> _files = new(StringComparer.Ordinal);
    private readonly HashSet<string> _lfs = new(StringComparer.Ordinal);

    public ConcurrentQueue<string> Requests { get; } = new();
    public string Repo { get; }
    public string Endpoint { get; private set; } = "";
    public int CdnPort { get; private set; }
    /// <summary>The next CDN transfer of this many bytes or more is cut after it (once).</summary>
    public long? CutAfter { get; set; }
    public bool Corrupt { get; set; }

    private FakeHub(string repo)
    {
        Repo = repo;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o =>
        {
            o.Listen(IPAddress.Loopback, 0);
            o.Listen(IPAddress.Loopback, 0);
        });
        _app = builder.Build();
        _app.MapMethods("/{org}/{name}/resolve/{rev}/{**file}", ["GET", "HEAD"], Resolve);
        _app.MapMethods("/cdn/{sha}", ["GET", "HEAD"], Cdn);
    }

    public static async Task<FakeHub> StartAsync(string repo, IEnumerable<(string Name, byte[] Content, bool Lfs)> files)
    {
        var hub = new FakeHub(repo);
        foreach (var (name, content, lfs) in files)
        {
            hub._files[name] = content;
            if (lfs) hub._lfs.Add(name);
        }
        await hub._app.StartAsync();
        var ports = hub._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Select(a => new Uri(a).Port).ToList();
        hub.Endpoint = $"http://127.0.0.1:{ports[0]}";
        hub.CdnPort = ports[1];
        return hub;
    }

    public static string Sha256(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    private static string GitBlobId(byte[] content) =>
        Convert.ToHexStringLower(SHA1.HashData([.. Encoding.ASCII.GetBytes($"blob {content.Length}\0"), .. content]));

    private async Task Resolve(HttpContext context, string org, string name, string rev, string file)
    {
        Requests.Enqueue($"{context.Request.Method} {context.Request.Path} port={context.Connection.LocalPort} auth={context.Request.Headers.Authorization}");
        if ($"{org}/{name}" != Repo || rev != "main" || !_files.TryGetValue(file, out var content))
        {
            context.Response.StatusCode = 404;
            return;
        }
        if (_lfs.Contains(file))
        {
            string sha = Sha256(content);
            context.Response.StatusCode = 302;
            context.Response.Headers.Location = $"http://127.0.0.1:{CdnPort}/cdn/{sha}";
            context.Response.Headers["X-Linked-Etag"] = $"\"{sha}\"";
            context.Response.Headers["X-Linked-Size"] = content.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
            context.Response.Headers.ETag = $"\"{sha}\"";
            return;
        }
        context.Response.Headers.ETag = $"\"{GitBlobId(content)}\"";
        context.Response.ContentLength = content.Length;
        if (HttpMethods.IsGet(context.Request.Method))
            await context.Response.Body.WriteAsync(Served(content));
    }

    private byte[] Served(byte[] content)
    {
        if (!Corrupt)
            return content;
        var copy = (byte[])content.Clone();
        copy[copy.Length / 2] ^= 0x55;
        return copy;
    }

    private async Task Cdn(HttpContext context, string sha)
    {
        Requests.Enqueue($"CDN {context.Request.Path} range={context.Request.Headers.Range} auth={context.Request.Headers.Authorization}");
        var content = _files.Values.FirstOrDefault(c => Sha256(c) == sha);
        if (content is null)
        {
            context.Response.StatusCode = 404;
            return;
        }
        content = Served(content);
        long from = 0;
        string range = context.Request.Headers.Range.ToString();
        if (range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-'))
        {
            from = long.Parse(range["bytes=".Length..^1], System.Globalization.CultureInfo.InvariantCulture);
            if (from >= content.Length)
            {
                context.Response.StatusCode = 416;
                return;
            }
            context.Response.StatusCode = 206;
            context.Response.Headers.ContentRange = $"bytes {from}-{content.Length - 1}/{content.Length}";
        }
        context.Response.ContentLength = content.Length - from;
        if (HttpMethods.IsHead(context.Request.Method))
            return;
        var body = content.AsMemory((int)from);
        if (CutAfter is { } cut && body.Length > cut)
        {
            CutAfter = null;
            await context.Response.Body.WriteAsync(body[..(int)cut]);
            await context.Response.Body.FlushAsync();
            // Let the bytes reach the client before the connection drops, like a real mid-file cut.
            await Task.Delay(300);
            context.Abort();
            return;
        }
        await context.Response.Body.WriteAsync(body);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
