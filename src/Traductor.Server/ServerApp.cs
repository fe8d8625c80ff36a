using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;
using Serilog;
using Traductor.Core;
using Traductor.Server.Endpoints;
using Traductor.Server.Hosting;
using Traductor.Server.Http;
using Traductor.Server.Logging;
using Traductor.Server.Metrics;
using Traductor.Server.Settings;

namespace Traductor.Server;

/// <summary>The composition root of the HTTP service: Kestrel, logging, metrics, the model loader and the endpoints.</summary>
public static class ServerApp
{
    /// <summary>Builds the service for <paramref name="settings"/>; start it with <c>RunAsync</c> or <c>StartAsync</c>.</summary>
    public static WebApplication Create(ServerSettings settings, ServerHostingOptions? hosting = null)
    {
        hosting ??= new ServerHostingOptions();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Host.UseSystemd();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = settings.ShutdownTimeout);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = settings.MaxRequestBytes;
            if (settings.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase) && settings.Port != 0)
                kestrel.ListenLocalhost(settings.Port);
            else
                kestrel.Listen(settings.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback : IPAddress.Parse(settings.Host), settings.Port);
        });

        var logger = ServiceLogging.Create(settings, hosting.LogOutput ?? Console.Out);
        var appLog = logger.ForContext("SourceContext", "Traductor.Server");
        builder.Logging.ClearProviders();
        builder.Services.AddSerilog(logger, dispose: true);

        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        });
        builder.Services.AddOpenApi(o => o.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Traductor";
            document.Info.Version = OperationsEndpoints.Version;
            document.Info.Description = "Offline Spanish⇄Danish translation (NLLB-200 on a CTranslate2-compatible engine).";
            return Task.CompletedTask;
        }));
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton<ModelState>();
        builder.Services.AddSingleton<ServiceClock>();
        builder.Services.AddSingleton<ServiceMetrics>();
        builder.Services.AddSingleton(new TranslationLog(appLog, settings.LogTranslations));
        var load = hosting.LoadModel ?? TranslationService.Load;
        builder.Services.AddHostedService(sp => new ModelLoader(sp.GetRequiredService<ModelState>(), settings, load, appLog));

        var app = builder.Build();
        var metrics = app.Services.GetRequiredService<ServiceMetrics>();
        app.Use(SecurityHeaders.Apply);
        app.UseStatusCodePages(context => ErrorBoundary.DescribeBareStatus(context.HttpContext));
        app.Use((context, next) => ErrorBoundary.Guard(context, next, appLog));
        app.Use((context, next) => RequestAccounting.Measure(context, next, metrics));
        app.MapTranslation();
        app.MapOperations();
        app.MapMetrics("/metrics", metrics.Registry);
        app.MapOpenApi();
        appLog.ForContext("version", OperationsEndpoints.Version)
              .ForContext("log_translations", settings.LogTranslations)
              .Information("Traductor starting on {host}:{port}", settings.Host, settings.Port);
        return app;
    }
}
