using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using TrainingService.Core.Telemetry;

namespace TrainingService.Worker.Telemetry;

/// <summary>The worker's OpenTelemetry setup: what it measures and traces, and where that goes.</summary>
internal static class WorkerTelemetry
{
    /// <summary>The setting that turns on the Prometheus scrape endpoint, such as http://127.0.0.1:9464; unset means off.</summary>
    public const string MetricsUrlSetting = "TRAINING_METRICS_URL";

    /// <summary>
    /// Adds the training, worker, runtime and Npgsql metrics, and the training and Npgsql spans. Exports by
    /// OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set, with the other OTEL_* variables applied too. Serves the
    /// Prometheus format at /metrics on <see cref="MetricsUrlSetting"/> when that is set.
    /// </summary>
    public static void AddWorkerTelemetry(this IHostApplicationBuilder builder)
    {
        var metricsEndpoint = ParseMetricsUrl(builder.Configuration[MetricsUrlSetting]);

        builder.Services.AddSingleton<TrainingInstrumentation>();
        builder.Services.AddSingleton<WorkerInstrumentation>();
        builder.Services.AddSingleton<TraceContextServerFilter>();

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("training-worker"))
            .WithMetrics(metrics =>
            {
                // Resolving the instrumentation here creates its instruments when the provider is built, before any job runs.
                metrics.AddMeter(TrainingInstrumentation.MeterName, WorkerInstrumentation.MeterName)
                    .AddInstrumentation(services => services.GetRequiredService<TrainingInstrumentation>())
                    .AddInstrumentation(services => services.GetRequiredService<WorkerInstrumentation>())
                    .AddRuntimeInstrumentation()
                    .AddNpgsqlInstrumentation();

                if (metricsEndpoint is var (host, port))
                {
                    metrics.AddPrometheusHttpListener(listener =>
                    {
                        listener.Host = host;
                        listener.Port = port;
                    });
                }
            })
            .WithTracing(tracing => tracing.AddSource(TrainingInstrumentation.ActivitySourceName).AddNpgsql());

        if (!string.IsNullOrEmpty(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            telemetry.UseOtlpExporter();
        }
    }

    /// <summary>
    /// Returns the HttpListener host and port of a metrics URL, or null when the URL is empty. 0.0.0.0 becomes
    /// the wildcard "+", because HttpListener matches a request's Host header against the host it listens on.
    /// </summary>
    private static (string Host, int Port)? ParseMetricsUrl(string? url)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return null;
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp || uri.AbsolutePath != "/" || uri.IsDefaultPort)
        {
            throw new InvalidOperationException(
                $"{MetricsUrlSetting} is '{url}'; expected an http:// URL with a port and no path, such as http://127.0.0.1:9464 or http://0.0.0.0:9464.");
        }

        return (uri.Host is "0.0.0.0" or "*" or "+" ? "+" : uri.Host, uri.Port);
    }
}
