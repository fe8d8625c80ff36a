using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Traductor.Core;
using Traductor.Server.Hosting;
using Traductor.Server.Http;
using Traductor.Server.Logging;
using Traductor.Server.Metrics;
using Traductor.Server.Settings;

namespace Traductor.Server.Endpoints;

/// <summary>POST /translate.</summary>
internal static class TranslateEndpoints
{
    private const int QueueFullRetryAfterSeconds = 1;

    public static IEndpointRouteBuilder MapTranslation(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("").WithTags("Translation");
        group.MapPost("/translate", Translate)
            .WithName("Translate")
            .WithSummary("Translate one text or a batch, es-da or da-es")
            .Accepts<TranslateRequestBody>("application/json")
            .Produces<ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<ErrorResponse>(StatusCodes.Status413PayloadTooLarge)
            .Produces<ErrorResponse>(StatusCodes.Status415UnsupportedMediaType)
            .Produces<ErrorResponse>(StatusCodes.Status422UnprocessableEntity)
            .Produces<ErrorResponse>(StatusCodes.Status429TooManyRequests)
            .Produces<ErrorResponse>(StatusCodes.Status503ServiceUnavailable)
            .Produces<ErrorResponse>(StatusCodes.Status504GatewayTimeout);
        return app;
    }

    private static async Task<Results<Ok<TranslateResponse>, JsonHttpResult<ErrorResponse>>> Translate(
        HttpContext context, ModelState model, ServerSettings settings, ServiceMetrics metrics, TranslationLog log)
    {
        var started = Stopwatch.GetTimestamp();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        deadline.CancelAfter(settings.RequestTimeout);
        TranslateRequest? request = null;
        try
        {
            using (var body = await JsonBody.ReadAsync(context.Request, settings.MaxRequestBytes, deadline.Token).ConfigureAwait(false))
                request = TranslateRequestReader.Read(body.RootElement, settings);
            context.Items[RequestAccounting.DirectionItem] = request.Direction.Code();
            var service = model.Service ?? throw NotReady(model);
            var results = await service.TranslateAsync(request.Texts, request.Direction, request.Options, deadline.Token).ConfigureAwait(false);
            var elapsed = Stopwatch.GetElapsedTime(started);
            metrics.SampleTokens();
            log.Completed(request, results, elapsed);
            return TypedResults.Ok(Respond(request, results, elapsed));
        }
        catch (ApiException e)
        {
            log.Refused(e.Status, e.Code, request, Stopwatch.GetElapsedTime(started));
            return e.ToResult(context);
        }
        catch (TranslationException e)
        {
            var refusal = ToApiException(e);
            log.Refused(refusal.Status, refusal.Code, request, Stopwatch.GetElapsedTime(started));
            return refusal.ToResult(context);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !context.RequestAborted.IsCancellationRequested)
        {
            // The token reached the engine: the cancelled segments stop decoding, nothing runs on.
            log.Refused(StatusCodes.Status504GatewayTimeout, "timeout", request, Stopwatch.GetElapsedTime(started));
            return ApiErrors.Result(context, StatusCodes.Status504GatewayTimeout, "timeout",
                $"the translation did not finish within REQUEST_TIMEOUT ({settings.RequestTimeout.TotalSeconds:0.###} s) and was cancelled");
        }
    }

    private static ApiException NotReady(ModelState model) => model.Status == ModelStatus.Failed
        ? new ApiException(StatusCodes.Status503ServiceUnavailable, "model_load_failed", $"the model could not be loaded: {model.FailureReason}")
        : new ApiException(StatusCodes.Status503ServiceUnavailable, "model_loading", "the model is still loading; retry shortly") { RetryAfterSeconds = 5 };

    private static ApiException ToApiException(TranslationException e) => e switch
    {
        InputTooLongException => new ApiException(StatusCodes.Status413PayloadTooLarge, e.Code, e.Message),
        InvalidOptionException => new ApiException(StatusCodes.Status422UnprocessableEntity, e.Code, e.Message),
        QueueFullException => new ApiException(StatusCodes.Status429TooManyRequests, e.Code, e.Message) { RetryAfterSeconds = QueueFullRetryAfterSeconds },
        EmptyTextException => new ApiException(StatusCodes.Status400BadRequest, e.Code, e.Message),
        ModelLoadException => new ApiException(StatusCodes.Status503ServiceUnavailable, e.Code, e.Message),
        _ => new ApiException(StatusCodes.Status500InternalServerError, e.Code, e.Message),
    };

    private static TranslateResponse Respond(TranslateRequest request, IReadOnlyList<TextTranslation> results, TimeSpan elapsed) => new()
    {
        Translation = request.IsBatch ? null : results[0].Translation,
        Translations = request.IsBatch
            ? results.Select(r => new TextResult(r.Translation, r.InputTokens, r.OutputTokens, r.Segments, r.CacheHits, r.HitTokenBudget)).ToList()
            : null,
        Direction = request.Direction.Code(),
        InputTokens = results.Sum(r => r.InputTokens),
        OutputTokens = results.Sum(r => r.OutputTokens),
        Segments = results.Sum(r => r.Segments),
        CacheHits = results.Sum(r => r.CacheHits),
        HitTokenBudget = results.Any(r => r.HitTokenBudget),
        LatencyMs = (long)elapsed.TotalMilliseconds,
    };
}
