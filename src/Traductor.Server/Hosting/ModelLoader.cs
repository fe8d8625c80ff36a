using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Traductor.Core;
using Traductor.Server.Settings;

namespace Traductor.Server.Hosting;

/// <summary>
/// Loads the model off the start-up path so Kestrel answers at once (/health says 503 "loading"
/// meanwhile), then publishes it to <see cref="ModelState"/>. A failed load is reported, never retried
/// with another model: production never falls back.
/// </summary>
internal sealed class ModelLoader(ModelState state, ServerSettings settings, Func<TranslationServiceOptions, TranslationService> load, Serilog.ILogger log) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var options = settings.ToServiceOptions();
        log.Information("Loading model {model_path}", options.ModelPath);
        var clock = Stopwatch.StartNew();
        try
        {
            // Loading is a blocking native call that cannot be interrupted; on shutdown the host stops
            // waiting for it and the service it produces is disposed with ModelState.
            var service = await Task.Run(() => load(options), CancellationToken.None).ConfigureAwait(false);
            if (stoppingToken.IsCancellationRequested)
            {
                await service.DisposeAsync().ConfigureAwait(false);
                return;
            }
            state.Publish(service, clock.Elapsed);
            var model = service.Model;
            log.ForContext("load_ms", clock.ElapsedMilliseconds)
               .ForContext("smoke_model", model.IsSmokeModel)
               .ForContext("directions", model.Directions)
               .Information("Model loaded from {model_path}", model.Path);
            if (model.IsSmokeModel)
                log.Warning("SMOKE MODEL loaded from {model_path}: random weights, translations are meaningless; never use it in production", model.Path);
        }
        catch (Exception e)
        {
            // Load errors name paths and formats, never request text, so the message is safe to log and show.
            var reason = e is TranslationException ? e.Message : $"{e.GetType().Name}: {e.Message}";
            state.Fail(reason, clock.Elapsed);
            log.ForContext("load_ms", clock.ElapsedMilliseconds)
               .ForContext("reason", reason)
               .Error("Model load failed for {model_path}", options.ModelPath);
        }
    }
}
