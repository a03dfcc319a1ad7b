using Training.V1;

namespace TrainingService.Core.Telemetry;

/// <summary>
/// The per-job gauges that read one field of a run's latest step or epoch. Each gauge is one row, so a new
/// field of <see cref="StepMetrics"/> or <see cref="EpochMetrics"/> is exported by adding a row. A selector
/// returns null for a value the message does not carry, and the run then reports no point.
/// </summary>
internal static class RunGauges
{
    public static readonly RunGauge<StepMetrics>[] Step =
    [
        new("training.loss", "{loss}", "Mini-batch training loss of the run's latest step, in train mode.", step => step.Loss),
        new("training.gradient.norm", "{norm}",
            "Global L2 norm of the gradient in the run's latest step, after backward and before the optimizer step.", step => step.GradientNorm),
        new("training.learning_rate", "{rate}", "Learning rate of the run's latest step.", step => step.LearningRate),
        new("training.gradient.clipped_norm", "{norm}",
            "Global L2 norm of the gradient in the run's latest step after clipping; equal to training.gradient.norm without clipping.", step => step.ClippedGradientNorm),
    ];

    public static readonly RunGauge<EpochMetrics>[] Epoch =
    [
        new("training.epoch", "{epoch}", "Number of the run's latest finished epoch, counted from 1.", epoch => epoch.Epoch),
        new("training.epoch.loss", "{loss}", "Mean mini-batch training loss of the run's latest epoch, weighted by batch size.", epoch => epoch.TrainLoss),
        new("training.validation.loss", "{loss}", "Loss on the validation split after the run's latest epoch, in eval mode.",
            epoch => epoch.HasValidationLoss ? epoch.ValidationLoss : null),
        // Not unit "1": the Collector's Prometheus exporter appends "_ratio" to gauges of unit 1, and
        // OpenTelemetry.Exporter.Prometheus 1.20.1-beta.1 does not, so the two paths would name it differently.
        new("training.validation.accuracy", "{fraction}",
            "Fraction of the validation split classified correctly after the run's latest epoch, in eval mode, from 0 to 1.", ValidationAccuracy),
        new("training.throughput", "{sample}/s", "Training examples per second in the run's latest epoch, validation excluded.", epoch => epoch.SamplesPerSecond),
        new("training.epoch.duration", "s", "Wall time of the run's latest epoch, validation included.", epoch => epoch.EpochSeconds),
    ];

    /// <summary>Returns the validation accuracy of an epoch, or null when the epoch carries none.</summary>
    public static double? ValidationAccuracy(EpochMetrics epoch) => epoch.HasValidationAccuracy ? epoch.ValidationAccuracy : null;
}

/// <summary>One per-job gauge: its OpenTelemetry name, unit and description, and the field it reads.</summary>
internal sealed record RunGauge<TMessage>(string Name, string Unit, string Description, Func<TMessage, double?> Select);
