using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using TrainingService.Core.Telemetry;

namespace TrainingService.Api.Telemetry;

/// <summary>The API's OpenTelemetry setup: what it measures and traces, and where that goes.</summary>
internal static class ApiTelemetry
{
    /// <summary>The path of the Prometheus scrape endpoint on the API's HTTP/1.1 port.</summary>
    public const string MetricsPath = "/metrics";

    // Scrapes, health probes and the dashboard's polling would otherwise start a trace every few seconds.
    private static readonly string[] UntracedPaths = [MetricsPath, "/healthz", "/hangfire"];

    /// <summary>
    /// Adds the job lifecycle, queue, ASP.NET Core (gRPC calls included), runtime and Npgsql metrics, and the
    /// spans of incoming requests, of enqueuing and of Npgsql. Exports by OTLP when OTEL_EXPORTER_OTLP_ENDPOINT
    /// is set, with the other OTEL_* variables applied too. Always exports to the Prometheus endpoint that
    /// <see cref="MapApiTelemetry"/> maps.
    /// </summary>
    public static void AddApiTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<TrainingInstrumentation>();
        builder.Services.AddSingleton<QueueInstrumentation>();
        builder.Services.AddSingleton<TraceContextClientFilter>();

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("training-api"))
            .WithMetrics(metrics => metrics
                .AddMeter(TrainingInstrumentation.MeterName, QueueInstrumentation.MeterName)
                .AddInstrumentation(services => services.GetRequiredService<TrainingInstrumentation>())
                .AddInstrumentation(services => services.GetRequiredService<QueueInstrumentation>())
                .AddAspNetCoreInstrumentation()
                .AddRuntimeInstrumentation()
                .AddNpgsqlInstrumentation()
                .AddPrometheusExporter())
            .WithTracing(tracing => tracing
                .AddSource(TrainingInstrumentation.ActivitySourceName)
                .AddAspNetCoreInstrumentation(aspNetCore => aspNetCore.Filter = context =>
                    !UntracedPaths.Any(path => context.Request.Path.StartsWithSegments(path, StringComparison.OrdinalIgnoreCase)))
                .AddNpgsql());

        if (!string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            telemetry.UseOtlpExporter();
        }
    }

    /// <summary>Maps the Prometheus scrape endpoint at <see cref="MetricsPath"/>.</summary>
    public static void MapApiTelemetry(this WebApplication app) => app.MapPrometheusScrapingEndpoint(MetricsPath);
}
