using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Traductor.Core;
using Traductor.Native;
using Traductor.Server.Hosting;
using Traductor.Server.Http;
using Traductor.Server.Settings;

namespace Traductor.Server.Endpoints;

/// <summary>/health, /info, /languages, /cache/clear: what load balancers and operators call.</summary>
internal static class OperationsEndpoints
{
    private const string SmokeWarning = "SMOKE MODEL: random weights, translations are meaningless; not for production";

    private static readonly LanguageInfo[] Languages =
    [
        new("es", "Spanish", "spa_Latn", ["da"]),
        new("da", "Danish", "dan_Latn", ["es"]),
    ];

    public static IEndpointRouteBuilder MapOperations(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("").WithTags("Operations");
        // HEAD too: `curl -I /health` is how the handbook checks the security headers.
        group.MapMethods("/health", [HttpMethods.Get, HttpMethods.Head], Health)
            .WithSummary("200 once the model is loaded, 503 (with the reason) before or when loading failed");
        group.MapGet("/info", Info).WithSummary("Uptime, cache statistics, limits, configuration, model, engine, version");
        group.MapGet("/languages", GetLanguages).WithSummary("Supported languages and their targets");
        group.MapPost("/cache/clear", ClearCache).WithSummary("Empty the translation cache; returns what was cleared")
            .Produces<ErrorResponse>(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    private static Results<Ok<HealthResponse>, JsonHttpResult<HealthResponse>> Health(HttpContext context, ModelState model, ServiceClock clock)
    {
        var uptime = clock.Uptime.TotalSeconds;
        var service = model.Service;
        if (service is not null)
        {
            var smoke = service.Model.IsSmokeModel;
            return TypedResults.Ok(new HealthResponse("ok", true, smoke, smoke ? SmokeWarning : null, null, uptime));
        }
        context.Response.Headers.RetryAfter = "5";
        var body = model.Status == ModelStatus.Failed
            ? new HealthResponse("failed", false, false, null, model.FailureReason, uptime)
            : new HealthResponse("loading", false, false, null, "the model is still loading", uptime);
        return TypedResults.Json(body, statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    private static Ok<InfoResponse> Info(ModelState model, ServerSettings settings, ServiceClock clock)
    {
        var service = model.Service;
        return TypedResults.Ok(new InfoResponse(
            "traductor",
            Version,
            clock.Uptime.TotalSeconds,
            clock.StartedAt,
            DescribeModel(model, settings),
            DescribeEngine(),
            service is null ? null : ToInfo(service.CacheStatistics),
            service?.QueueDepth,
            service?.TokensGenerated,
            new LimitsInfo(settings.MaxInputTokens, settings.DefaultMaxNewTokens, settings.MaxMaxNewTokens, settings.BeamSize, settings.MaxBeamSize,
                settings.RequestTimeout.TotalSeconds, settings.MaxBatchSize, settings.MaxQueuedSegments, settings.MaxRequestBytes, settings.MaxTextsPerRequest),
            Configuration(settings)));
    }

    private static Ok<LanguageInfo[]> GetLanguages() => TypedResults.Ok(Languages);

    private static Results<Ok<CacheClearResponse>, JsonHttpResult<ErrorResponse>> ClearCache(HttpContext context, ModelState model)
    {
        if (model.Service is not { } service)
            return ApiErrors.Result(context, StatusCodes.Status503ServiceUnavailable, model.Status == ModelStatus.Failed ? "model_load_failed" : "model_loading",
                "the model is not loaded, so there is no cache to clear", retryAfterSeconds: 5);
        var cleared = service.ClearCache();
        return TypedResults.Ok(new CacheClearResponse(cleared.Entries, cleared.Bytes, ToInfo(service.CacheStatistics)));
    }

    private static ModelInfo DescribeModel(ModelState model, ServerSettings settings)
    {
        var status = model.Status.ToString().ToLowerInvariant();
        var load = model.LoadDuration?.TotalSeconds;
        if (model.Service is not { } service)
            return new ModelInfo(status, false, settings.ModelPath, false, null, model.FailureReason, load, null, null);
        var description = service.Model;
        return new ModelInfo(status, true, description.Path, description.IsSmokeModel, description.IsSmokeModel ? SmokeWarning : null,
            null, load, description.Directions, ParseEngine(description.EngineJson));
    }

    private static JsonElement? ParseEngine(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return JsonSerializer.SerializeToElement(json);
        }
    }

    private static EngineInfo DescribeEngine()
    {
        try
        {
            return new EngineInfo(NativeLibraryInfo.Version, NativeLibraryInfo.AbiVersion, null);
        }
        catch (Exception e) when (e is NativeLibraryLoadException or DllNotFoundException or EntryPointNotFoundException or TypeInitializationException or TraductorNativeException)
        {
            return new EngineInfo(null, null, $"native library unavailable: {e.GetType().Name}");
        }
    }

    private static CacheInfo ToInfo(CacheStatistics s) => new(s.Entries, s.Bytes, s.Hits, s.Misses, s.HitRate, s.Evictions, s.MaxEntries, s.MaxBytes);

    /// <summary>Every setting by its variable name. None is secret; were one added, it would be left out here.</summary>
    private static Dictionary<string, string?> Configuration(ServerSettings s)
    {
        static string I(long v) => v.ToString(CultureInfo.InvariantCulture);
        return new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["MODEL_PATH"] = s.ModelPath,
            ["TOKENIZER_PATH"] = s.TokenizerPath,
            ["COMPUTE_TYPE"] = s.ComputeType,
            ["MAX_INPUT_TOKENS"] = I(s.MaxInputTokens),
            ["DEFAULT_MAX_NEW_TOKENS"] = I(s.DefaultMaxNewTokens),
            ["MAX_MAX_NEW_TOKENS"] = I(s.MaxMaxNewTokens),
            ["REQUEST_TIMEOUT"] = s.RequestTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture),
            ["MAX_BATCH_SIZE"] = I(s.MaxBatchSize),
            ["MAX_QUEUED_SEGMENTS"] = I(s.MaxQueuedSegments),
            ["CT2_INTER_THREADS"] = I(s.InterThreads),
            ["CT2_INTRA_THREADS"] = I(s.IntraThreads),
            ["BEAM_SIZE"] = I(s.BeamSize),
            ["MAX_BEAM_SIZE"] = I(s.MaxBeamSize),
            ["CACHE_MAX_ENTRIES"] = I(s.CacheMaxEntries),
            ["CACHE_MAX_BYTES"] = I(s.CacheMaxBytes),
            ["MAX_REQUEST_BYTES"] = I(s.MaxRequestBytes),
            ["MAX_TEXTS_PER_REQUEST"] = I(s.MaxTextsPerRequest),
            ["SHUTDOWN_TIMEOUT"] = s.ShutdownTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture),
            ["LOG_TRANSLATIONS"] = s.LogTranslations ? "true" : "false",
            ["LOG_LEVEL"] = Logging.JsonLineFormatter.LevelName(s.LogLevel),
            ["HOST"] = s.Host,
            ["PORT"] = I(s.Port),
        };
    }

    /// <summary>The product version (informational version without the source revision suffix).</summary>
    public static string Version { get; } =
        (typeof(OperationsEndpoints).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0").Split('+')[0];
}
