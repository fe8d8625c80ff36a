using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;

namespace Traductor.Models.Download;

public sealed record HubOptions
{
    /// <summary>HF_ENDPOINT, default https://huggingface.co.</summary>
    public string Endpoint { get; init; } = "https://huggingface.co";
    /// <summary>HF_TOKEN; sent only to the endpoint's own host, never to the CDN it redirects to.</summary>
    public string? Token { get; init; }
    /// <summary>How many times a broken transfer is resumed (HTTP Range) before giving up.</summary>
    public int Retries { get; init; } = 5;
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(2);
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(15);

    public static HubOptions FromEnvironment() => new()
    {
        Endpoint = Environment.GetEnvironmentVariable("HF_ENDPOINT") is { Length: > 0 } e ? e.TrimEnd('/') : "https://huggingface.co",
        Token = Environment.GetEnvironmentVariable("HF_TOKEN") is { Length: > 0 } t ? t : null,
    };
}

/// <summary>What the hub says about one file (from the un-followed HEAD of its resolve URL).</summary>
public sealed record HubFileInfo(string Name, long? Size, string? Sha256, string? GitSha1, Uri Url);

/// <summary>
/// Downloads files from a Hugging Face hub the way huggingface_hub does: HEAD
/// <c>/{repo}/resolve/{revision}/{file}</c> without following redirects to read <c>X-Linked-Etag</c>
/// (the SHA-256 of LFS files) and <c>X-Linked-Size</c>, then GET into <c>file.part</c>, resuming
/// with HTTP Range after a cut, verifying size and hash, and renaming into place only when correct.
/// </summary>
public sealed class HubDownloader : IDisposable
{
    private readonly HttpClient _http;
    private readonly HubOptions _options;
    private readonly Uri _endpoint;
    private readonly TextWriter _progress;

    public HubDownloader(HubOptions options, TextWriter progress)
    {
        _options = options;
        _progress = progress;
        if (!Uri.TryCreate(options.Endpoint.TrimEnd('/') + "/", UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
            throw new ModelToolException($"HF_ENDPOINT '{options.Endpoint}' is not an http(s) URL");
        _endpoint = endpoint;
        _http = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            ConnectTimeout = options.ConnectTimeout,
            AutomaticDecompression = DecompressionMethods.None,
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("traductor-model-download/0.1");
    }

    public Uri ResolveUrl(string repo, string revision, string file) =>
        new(_endpoint, $"{repo}/resolve/{Uri.EscapeDataString(revision)}/{string.Join('/', file.Split('/').Select(Uri.EscapeDataString))}");

    /// <summary>Downloads every file (and the shards an index file lists) into <paramref name="directory"/>.</summary>
    public async Task<IReadOnlyList<string>> DownloadAsync(string repo, string revision, IReadOnlyList<ManifestFile> files, string directory, bool discoverWeights, CancellationToken cancellationToken)
    {
        var done = new List<string>();
        var queue = new Queue<ManifestFile>(files);
        if (discoverWeights)
            foreach (var w in await DiscoverWeightsAsync(repo, revision, cancellationToken).ConfigureAwait(false))
                queue.Enqueue(w);
        while (queue.Count > 0)
        {
            var file = queue.Dequeue();
            var info = await HeadAsync(repo, revision, file.Name, cancellationToken).ConfigureAwait(false);
            if (info is null)
            {
                if (file.Optional)
                    continue;
                throw new ModelToolException($"{repo}@{revision} has no file {file.Name} ({ResolveUrl(repo, revision, file.Name)} answered 404)");
            }
            string path = await FetchAsync(info, Path.Combine(directory, file.Name), cancellationToken).ConfigureAwait(false);
            done.Add(path);
            if (file.Name.EndsWith(".index.json", StringComparison.Ordinal))
                foreach (var shard in ShardsOf(path).Where(s => done.All(d => Path.GetFileName(d) != s) && queue.All(q => q.Name != s)))
                    queue.Enqueue(new ManifestFile { Name = shard });
        }
        return done;
    }

    private async Task<IReadOnlyList<ManifestFile>> DiscoverWeightsAsync(string repo, string revision, CancellationToken cancellationToken)
    {
        foreach (var name in new[] { "model.safetensors", "model.safetensors.index.json", "pytorch_model.bin", "pytorch_model.bin.index.json" })
            if (await HeadAsync(repo, revision, name, cancellationToken).ConfigureAwait(false) is not null)
                return [new ManifestFile { Name = name }];
        throw new ModelToolException($"{repo}@{revision} has none of model.safetensors, model.safetensors.index.json, pytorch_model.bin, pytorch_model.bin.index.json");
    }

    private static IEnumerable<string> ShardsOf(string indexPath)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(indexPath));
            return doc.RootElement.GetProperty("weight_map").EnumerateObject().Select(p => p.Value.GetString()!).Distinct().ToList();
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new ModelToolException($"{Path.GetFileName(indexPath)} is not a valid weight index: {e.Message}", e);
        }
    }

    /// <summary>HEAD the resolve URL, following redirects by hand so the hub's own headers are seen; null on 404.</summary>
    public async Task<HubFileInfo?> HeadAsync(string repo, string revision, string file, CancellationToken cancellationToken)
    {
        var url = ResolveUrl(repo, revision, file);
        string? sha256 = null, gitSha1 = null;
        long? size = null;
        for (int hop = 0; hop < 10; hop++)
        {
            using var request = NewRequest(HttpMethod.Head, url);
            using var response = await SendAsync(request, cancellationToken).ConfigureAwait(false);
            // The first response (the hub's) carries the LFS metadata; a CDN's later answers do not.
            sha256 ??= NormaliseHash(Header(response, "X-Linked-Etag"), 64);
            if (size is null && long.TryParse(Header(response, "X-Linked-Size"), out long linked))
                size = linked;
            if (IsRedirect(response.StatusCode))
            {
                // An LFS file: the hub already said what it is; the CDN behind the redirect is only for GET.
                if (sha256 is not null && size is not null)
                    return new HubFileInfo(file, size, sha256, null, ResolveUrl(repo, revision, file));
                url = new Uri(url, response.Headers.Location ?? throw new ModelToolException($"{url} redirects without a Location"));
                continue;
            }
            if (response.StatusCode == HttpStatusCode.NotFound)
                return null;
            ThrowForStatus(response, url, file);
            string? etag = response.Headers.ETag?.Tag.Trim('"') ?? Header(response, "ETag")?.Trim('"');
            sha256 ??= NormaliseHash(etag, 64);
            gitSha1 = sha256 is null ? NormaliseHash(etag, 40) : null;
            size ??= response.Content.Headers.ContentLength;
            return new HubFileInfo(file, size, sha256, gitSha1, ResolveUrl(repo, revision, file));
        }
        throw new ModelToolException($"{ResolveUrl(repo, revision, file)}: too many redirects");
    }

    /// <summary>Downloads one file to <paramref name="target"/> via <c>target.part</c>; resumes, verifies, renames.</summary>
    public async Task<string> FetchAsync(HubFileInfo info, string target, CancellationToken cancellationToken)
    {
        string part = target + ".part";
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(target))!);
        if (File.Exists(target) && (info.Size is null || new FileInfo(target).Length == info.Size) && await VerifyAsync(info, target, cancellationToken).ConfigureAwait(false) is null)
        {
            await _progress.WriteLineAsync($"{info.Name}: already complete and verified").ConfigureAwait(false);
            return target;
        }
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                await TransferAsync(info, part, cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (TransferInterruptedException e) when (attempt < _options.Retries)
            {
                await _progress.WriteLineAsync($"{info.Name}: transfer interrupted ({e.Message}); resuming in {_options.RetryDelay.TotalSeconds:F0} s").ConfigureAwait(false);
                await Task.Delay(_options.RetryDelay, cancellationToken).ConfigureAwait(false);
            }
            catch (TransferInterruptedException e)
            {
                throw new ModelToolException($"{info.Name}: the transfer broke off {attempt + 1} times ({e.Message}); {new FileInfo(part).Length} bytes are kept in {part} and the next run resumes from there", e);
            }
        }
        string? problem = await VerifyAsync(info, part, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            File.Delete(part);
            throw new ModelToolException($"{info.Name}: {problem}; the download was deleted, run the command again");
        }
        File.Move(part, target, overwrite: true);
        return target;
    }

    private async Task TransferAsync(HubFileInfo info, string part, CancellationToken cancellationToken)
    {
        long have = File.Exists(part) ? new FileInfo(part).Length : 0;
        if (info.Size is { } total && have > total)
        {
            File.Delete(part);
            have = 0;
        }
        if (info.Size is { } complete && have == complete)
            return;
        var url = info.Url;
        HttpResponseMessage? response = null;
        try
        {
            for (int hop = 0; ; hop++)
            {
                using var request = NewRequest(HttpMethod.Get, url);
                if (have > 0)
                    request.Headers.Range = new RangeHeaderValue(have, null);
                response = await SendAsync(request, cancellationToken, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
                if (!IsRedirect(response.StatusCode))
                    break;
                if (hop >= 10)
                    throw new ModelToolException($"{info.Url}: too many redirects");
                url = new Uri(url, response.Headers.Location ?? throw new ModelToolException($"{url} redirects without a Location"));
                response.Dispose();
            }
            if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
            {
                // The .part no longer fits what the server has: start again.
                File.Delete(part);
                throw new TransferInterruptedException("the server refused to resume; starting over");
            }
            ThrowForStatus(response, url, info.Name);
            bool resumed = response.StatusCode == HttpStatusCode.PartialContent;
            if (resumed && response.Content.Headers.ContentRange?.From != have)
                throw new TransferInterruptedException($"the server resumed at byte {response.Content.Headers.ContentRange?.From}, not {have}");
            if (!resumed)
                have = 0;   // a plain 200 sends the whole file again
            long? expected = info.Size ?? (response.Content.Headers.ContentLength is { } len ? len + have : null);
            await using var output = new FileStream(part, resumed ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            var buffer = new byte[1 << 20];
            var clock = Stopwatch.StartNew();
            var lastReport = TimeSpan.Zero;
            long start = have;
            while (true)
            {
                int n;
                try
                {
                    n = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is IOException or HttpRequestException)
                {
                    throw new TransferInterruptedException(e.Message);
                }
                if (n == 0)
                    break;
                await output.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                have += n;
                if (clock.Elapsed - lastReport > TimeSpan.FromSeconds(1))
                {
                    lastReport = clock.Elapsed;
                    await ReportAsync(info.Name, have, expected, (have - start) / Math.Max(0.001, clock.Elapsed.TotalSeconds)).ConfigureAwait(false);
                }
            }
            await ReportAsync(info.Name, have, expected, (have - start) / Math.Max(0.001, clock.Elapsed.TotalSeconds)).ConfigureAwait(false);
            if (expected is { } want && have < want)
                throw new TransferInterruptedException($"connection closed at byte {have} of {want}");
        }
        finally
        {
            response?.Dispose();
        }
    }

    private Task ReportAsync(string name, long have, long? total, double bytesPerSecond) =>
        _progress.WriteLineAsync(total is { } t && t > 0
            ? $"{name}: {have / 1e6:F1} / {t / 1e6:F1} MB ({100.0 * have / t:F0} %), {bytesPerSecond / 1e6:F1} MB/s"
            : $"{name}: {have / 1e6:F1} MB, {bytesPerSecond / 1e6:F1} MB/s");

    /// <summary>null when the file matches what the hub published, else what is wrong.</summary>
    private static async Task<string?> VerifyAsync(HubFileInfo info, string path, CancellationToken cancellationToken)
    {
        long length = new FileInfo(path).Length;
        if (info.Size is { } size && length != size)
            return $"size is {length} bytes, the hub says {size}";
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        if (info.Sha256 is { } sha)
        {
            string actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
            return actual == sha ? null : $"SHA-256 is {actual}, the hub says {sha} (corrupted download)";
        }
        if (info.GitSha1 is { } git)
        {
            // Small (non-LFS) files: the ETag is the git blob id, SHA-1 over "blob <size>\0" + content.
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
            hash.AppendData(System.Text.Encoding.ASCII.GetBytes($"blob {length}\0"));
            var buffer = new byte[1 << 20];
            int n;
            while ((n = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                hash.AppendData(buffer, 0, n);
            string actual = Convert.ToHexStringLower(hash.GetHashAndReset());
            return actual == git ? null : $"git blob id is {actual}, the hub says {git} (corrupted download)";
        }
        return null;
    }

    private HttpRequestMessage NewRequest(HttpMethod method, Uri url)
    {
        var request = new HttpRequestMessage(method, url);
        if (_options.Token is { } token && url.Host == _endpoint.Host && url.Port == _endpoint.Port)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("identity"));
        return request;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken, HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        try
        {
            return await _http.SendAsync(request, completion, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (IsOffline(e))
        {
            throw new ModelToolException($"you are offline: cannot reach {request.RequestUri?.GetLeftPart(UriPartial.Authority)} ({e.InnerException?.Message ?? e.Message}). Run `make download` on a machine with internet, then copy models/ to this machine", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ModelToolException($"you are offline: {request.RequestUri?.GetLeftPart(UriPartial.Authority)} did not answer in time. Run `make download` on a machine with internet, then copy models/ to this machine", e);
        }
        catch (HttpRequestException e)
        {
            throw new TransferInterruptedException(e.Message);
        }
    }

    private static bool IsOffline(HttpRequestException e) =>
        e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError
        || e.InnerException is SocketException;

    private static void ThrowForStatus(HttpResponseMessage response, Uri url, string file)
    {
        if (response.IsSuccessStatusCode)
            return;
        string hint = response.StatusCode switch
        {
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => " (a gated or private repository: set HF_TOKEN to a token with access)",
            HttpStatusCode.NotFound => " (check the repository name and --revision)",
            _ => "",
        };
        throw new ModelToolException($"{file}: {url} answered {(int)response.StatusCode} {response.ReasonPhrase}{hint}");
    }

    private static bool IsRedirect(HttpStatusCode code) => (int)code is 301 or 302 or 303 or 307 or 308;

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault()
        : response.Content.Headers.TryGetValues(name, out var contentValues) ? contentValues.FirstOrDefault() : null;

    private static string? NormaliseHash(string? etag, int hexLength)
    {
        if (etag is null)
            return null;
        string v = etag.Trim();
        if (v.StartsWith("W/", StringComparison.Ordinal))
            v = v[2..];
        v = v.Trim('"').ToLowerInvariant();
        return v.Length == hexLength && v.All(Uri.IsHexDigit) ? v : null;
    }

    public void Dispose() => _http.Dispose();

    private sealed class TransferInterruptedException(string message) : Exception(message);
}
