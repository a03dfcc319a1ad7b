using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using TrainingService.Core.Telemetry;

namespace TrainingService.Worker.Telemetry;

/// <summary>
/// The meter of a worker process: how many jobs it trains now and how many it may train at once. Only
/// workers export it, so counting its series counts the workers.
/// </summary>
public sealed class WorkerInstrumentation : IDisposable
{
    public const string MeterName = "TrainingService.Worker";

    public WorkerInstrumentation(TrainingInstrumentation training, IOptions<WorkerOptions> options, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(training);
        ArgumentNullException.ThrowIfNull(options);

        Meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        Meter.CreateObservableGauge("training.worker.active_jobs", () => training.ActiveRunCount, "{job}",
            "Jobs this worker process is training now.");
        Meter.CreateObservableGauge("training.worker.capacity", () => options.Value.Concurrency, "{job}",
            "Jobs this worker process may train at once (Worker:Concurrency).");
    }

    public Meter Meter { get; }

    public void Dispose() => Meter.Dispose();
}
