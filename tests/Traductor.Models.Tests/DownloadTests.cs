using System.Net;
using System.Net.Sockets;
using Traductor.Models.Download;

namespace Traductor.Models.Tests;

public sealed class DownloadTests
{
    private const string Repo = "facebook/nllb-test";
    private static readonly byte[] Weights = MakeBytes(3_000_000, 1);
    private static readonly byte[] Tokenizer = MakeBytes(400_000, 2);
    private static readonly byte[] Config = "{\"model_type\": \"m2m_100\"}\n"u8.ToArray();

    private static byte[] MakeBytes(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }

    private static Task<FakeHub> Hub() => FakeHub.StartAsync(Repo,
    [
        ("config.json", Config, false),
        ("model.safetensors", Weights, true),
        ("sentencepiece.bpe.model", Tokenizer, true),
    ]);

    private static readonly IReadOnlyList<ManifestFile> Files =
    [
        new() { Name = "config.json" },
        new() { Name = "model.safetensors" },
        new() { Name = "sentencepiece.bpe.model" },
        new() { Name = "tokenizer.json", Optional = true },
    ];

    private static HubDownloader Downloader(FakeHub hub, int retries = 3, string? token = "hf_secret") =>
        new(new HubOptions { Endpoint = hub.Endpoint, Token = token, Retries = retries, RetryDelay = TimeSpan.Zero }, TextWriter.Null);

    [Fact]
    public async Task Downloads_through_resolve_urls_and_redirects_verifies_and_keeps_the_token_off_the_cdn()
    {
        await using var hub = await Hub();
        using var tmp = new TemporaryDirectory();
        using var downloader = Downloader(hub);
        var files = await downloader.DownloadAsync(Repo, "main", Files, tmp.Combine("hf"), discoverWeights: false, CancellationToken.None);
        Assert.Equal(3, files.Count);
        Assert.Equal(Weights, File.ReadAllBytes(tmp.Combine("hf", "model.safetensors")));
        Assert.Equal(Tokenizer, File.ReadAllBytes(tmp.Combine("hf", "sentencepiece.bpe.model")));
        Assert.Equal(Config, File.ReadAllBytes(tmp.Combine("hf", "config.json")));
        Assert.Empty(Directory.GetFiles(tmp.Combine("hf"), "*.part"));
        Assert.Contains(hub.Requests, r => r.StartsWith("HEAD /facebook/nllb-test/resolve/main/model.safetensors", StringComparison.Ordinal) && r.EndsWith("auth=Bearer hf_secret", StringComparison.Ordinal));
        Assert.All(hub.Requests.Where(r => r.StartsWith("CDN", StringComparison.Ordinal)), r => Assert.EndsWith("auth=", r, StringComparison.Ordinal));

        // A second run finds everything complete and transfers nothing.
        int before = hub.Requests.Count(r => r.StartsWith("CDN", StringComparison.Ordinal));
        await downloader.DownloadAsync(Repo, "main", Files, tmp.Combine("hf"), discoverWeights: false, CancellationToken.None);
        Assert.Equal(before, hub.Requests.Count(r => r.StartsWith("CDN", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_transfer_cut_mid_file_is_resumed_with_a_range_request()
    {
        await using var hub = await Hub();
        hub.CutAfter = 1_000_000;
        using var tmp = new TemporaryDirectory();
        using var downloader = Downloader(hub);
        await downloader.DownloadAsync(Repo, "main", Files, tmp.Combine("hf"), discoverWeights: false, CancellationToken.None);
        Assert.Equal(Weights, File.ReadAllBytes(tmp.Combine("hf", "model.safetensors")));
        Assert.Contains(hub.Requests, r => r.Contains("range=bytes=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_cut_without_retries_keeps_the_part_file_and_the_next_run_resumes_it()
    {
        await using var hub = await Hub();
        hub.CutAfter = 1_234_567;
        using var tmp = new TemporaryDirectory();
        using (var once = Downloader(hub, retries: 0))
        {
            var e = await Assert.ThrowsAsync<ModelToolException>(() => once.DownloadAsync(Repo, "main", Files, tmp.Combine("hf"), false, CancellationToken.None));
            Assert.Contains("next run resumes", e.Message, StringComparison.Ordinal);
        }
        Assert.False(File.Exists(tmp.Combine("hf", "model.safetensors")), "a partial download must not look complete");
        long kept = new FileInfo(tmp.Combine("hf", "model.safetensors.part")).Length;
        Assert.InRange(kept, 1, 1_234_567);

        using var again = Downloader(hub, retries: 0);
        await again.DownloadAsync(Repo, "main", Files, tmp.Combine("hf"), false, CancellationToken.None);
        Assert.Equal(Weights, File.ReadAllBytes(tmp.Combine("hf", "model.safetensors")));
        Assert.False(File.Exists(tmp.Combine("hf", "model.safetensors.part")));
        Assert.Contains(hub.Requests, r => r.Contains($"range=bytes={kept}-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_corrupted_file_is_rejected_by_its_sha256_and_not_kept()
    {
        await using var hub = await Hub();
        hub.Corrupt = true;
        using var tmp = new TemporaryDirectory();
        using var downloader = Downloader(hub);
        var e = await Assert.ThrowsAsync<ModelToolException>(() => downloader.DownloadAsync(Repo, "main", Files, tmp.Combine("hf"), false, CancellationToken.None));
        // config.json comes first and is checked against its git blob id.
        Assert.Contains("config.json", e.Message, StringComparison.Ordinal);
        Assert.Contains("corrupted", e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(tmp.Combine("hf")));

        var lfsOnly = Files.Where(f => f.Name == "model.safetensors").ToList();
        e = await Assert.ThrowsAsync<ModelToolException>(() => downloader.DownloadAsync(Repo, "main", lfsOnly, tmp.Combine("hf"), false, CancellationToken.None));
        Assert.Contains("SHA-256", e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(tmp.Combine("hf")));
    }

    [Fact]
    public async Task Connection_refused_says_you_are_offline_and_what_to_do()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        using var tmp = new TemporaryDirectory();
        using var downloader = new HubDownloader(new HubOptions { Endpoint = $"http://127.0.0.1:{port}" }, TextWriter.Null);
        var e = await Assert.ThrowsAsync<ModelToolException>(() => downloader.DownloadAsync(Repo, "main", Files, tmp.Combine("hf"), false, CancellationToken.None));
        Assert.StartsWith("you are offline", e.Message, StringComparison.Ordinal);
        Assert.Contains("make download", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(tmp.Combine("hf")));
    }

    [GoldenFact]
    public async Task An_unlisted_repository_gets_its_weights_discovered_including_every_shard_of_an_index()
    {
        string hf = Path.Combine(TestEnvironment.ConvertDir, "m2m100-sharded", "hf");
        await using var hub = await FakeHub.StartAsync(Repo, Directory.GetFiles(hf).Select(f => (Path.GetFileName(f), File.ReadAllBytes(f), f.EndsWith(".safetensors", StringComparison.Ordinal) || f.EndsWith(".model", StringComparison.Ordinal))));
        using var tmp = new TemporaryDirectory();
        using var downloader = Downloader(hub, token: null);
        await downloader.DownloadAsync(Repo, "main", ModelManifest.DefaultFiles, tmp.Combine("hf"), discoverWeights: true, CancellationToken.None);
        foreach (var f in Directory.GetFiles(hf))
            Assert.Equal(File.ReadAllBytes(f), File.ReadAllBytes(tmp.Combine("hf", Path.GetFileName(f))));
    }

    [Fact]
    public void The_built_in_manifest_lists_both_nllb_models_with_their_licence()
    {
        var manifest = ModelManifest.BuiltIn();
        foreach (var name in new[] { "nllb-200-distilled-600M", "nllb-200-distilled-1.3B" })
        {
            var m = manifest.Models[name];
            Assert.Equal("facebook/" + name, m.Repo);
            Assert.Equal("CC-BY-NC-4.0", m.License);
            Assert.Contains(m.Files, f => f.Name == "sentencepiece.bpe.model");
            Assert.Contains(m.Files, f => f.Name == "config.json");
        }
        var inRepo = ModelManifest.Load(Path.Combine(TestEnvironment.RepoRoot, "models", "manifest.json"));
        Assert.Equal(inRepo.Models.Keys.Order(), manifest.Models.Keys.Order());
    }
}
