using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace TrainingService.Core.Telemetry;

/// <summary>
/// The meter and activity source that training measurements go through. Hosts export them with OpenTelemetry
/// by subscribing to <see cref="MeterName"/> and <see cref="ActivitySourceName"/>; Core itself knows no exporter.
/// </summary>
public sealed class TrainingInstrumentation : IDisposable
{
    public const string MeterName = "TrainingService.Training";
    public const string ActivitySourceName = "TrainingService.Training";

    public TrainingInstrumentation(IMeterFactory? meterFactory = null)
    {
        Meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        ActivitySource = new ActivitySource(ActivitySourceName);

        Loss = Meter.CreateGauge<double>("training.loss", "{loss}", "Mini-batch training loss of the latest step.");
        GradientNorm = Meter.CreateGauge<double>("training.gradient.norm", "{norm}",
            "L2 norm of the gradient after backward and before the optimizer step; the layer tag is \"all\" for the global norm.");
        LearningRate = Meter.CreateGauge<double>("training.learning_rate", "{rate}", "Learning rate of the latest step.");
        ValidationLoss = Meter.CreateGauge<double>("training.validation.loss", "{loss}", "Loss on the validation split after the latest epoch, in eval mode.");
        ValidationAccuracy = Meter.CreateGauge<double>("training.validation.accuracy", "1", "Accuracy on the validation split after the latest epoch, in eval mode.");
        Throughput = Meter.CreateGauge<double>("training.throughput", "{sample}/s", "Training examples processed per second in the latest epoch.");
        EpochDuration = Meter.CreateHistogram<double>("training.epoch.duration", "s", "Wall time of one epoch, validation included.");
        Steps = Meter.CreateCounter<long>("training.steps", "{step}", "Optimizer steps taken.");
    }

    public Meter Meter { get; }

    public ActivitySource ActivitySource { get; }

    public Gauge<double> Loss { get; }

    public Gauge<double> GradientNorm { get; }

    public Gauge<double> LearningRate { get; }

    public Gauge<double> ValidationLoss { get; }

    public Gauge<double> ValidationAccuracy { get; }

    public Gauge<double> Throughput { get; }

    public Histogram<double> EpochDuration { get; }

    public Counter<long> Steps { get; }

    public void Dispose()
    {
        ActivitySource.Dispose();
        Meter.Dispose();
    }
}
