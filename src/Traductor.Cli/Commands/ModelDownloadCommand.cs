using Traductor.Models.Download;

namespace Traductor.Cli.Commands;

internal static class ModelDownloadCommand
{
    public const string Usage = "traductor model download [--model nllb-200-distilled-600M|nllb-200-distilled-1.3B|ORG/REPO] [--revision R] [--to DIR] [--manifest FILE] (HF_ENDPOINT, HF_TOKEN honoured)";

    public static async Task<int> RunAsync(string[] args)
    {
        var a = ModelArguments.Parse(args, new HashSet<string>());
        string model = a.Get("model") ?? "nllb-200-distilled-600M";
        string? revision = a.Get("revision");
        string? to = a.Get("to");
        string? manifestPath = a.Get("manifest");
        a.RejectUnknown();

        var manifest = manifestPath is null ? ModelManifest.BuiltIn() : ModelManifest.Load(manifestPath);
        ManifestModel? known = manifest.Models.GetValueOrDefault(model);
        if (known is null && !model.Contains('/', StringComparison.Ordinal))
            throw new UsageException($"unknown model '{model}': use one of {string.Join(", ", manifest.Models.Keys)} or a hub repository ORG/NAME");
        string repo = known?.Repo ?? model;
        string rev = revision ?? known?.Revision ?? "main";
        string directory = to ?? Path.Combine("models", (known is null ? repo.Split('/')[^1] : model) + "-hf");

        if (known is not null)
        {
            await Console.Error.WriteLineAsync($"licence of {model}: {known.License}{(known.LicenseUrl is null ? "" : " (" + known.LicenseUrl + ")")}").ConfigureAwait(false);
            if (known.LicenseNotice is not null)
                await Console.Error.WriteLineAsync(known.LicenseNotice).ConfigureAwait(false);
        }
        else
        {
            await Console.Error.WriteLineAsync($"{repo} is not in the manifest: check its licence on the hub before using it").ConfigureAwait(false);
        }
        var options = HubOptions.FromEnvironment();
        await Console.Error.WriteLineAsync($"downloading {repo}@{rev} from {options.Endpoint} into {directory}").ConfigureAwait(false);
        using var downloader = new HubDownloader(options, Console.Error);
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
        var files = await downloader.DownloadAsync(repo, rev, known?.Files ?? ModelManifest.DefaultFiles, directory, discoverWeights: known is null, cancel.Token).ConfigureAwait(false);
        await Console.Out.WriteLineAsync($"downloaded and verified {files.Count} files into {Path.GetFullPath(directory)}; next: traductor model convert --from {directory} --to DIR --quantization int8").ConfigureAwait(false);
        return 0;
    }
}
