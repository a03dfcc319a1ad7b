using System.Diagnostics;
using Training.V1;
using TrainingService.Core.Training;

namespace TrainingService.Core.Telemetry;

/// <summary>
/// Records one job's measurements on the training instruments, tagged with the job's id and name. The series
/// are per job by design, so their number grows with the number of jobs a process has run.
/// </summary>
public sealed class TelemetryObserver(TrainingInstrumentation instrumentation, string jobId, string jobName) : ITrainingObserver
{
    private readonly KeyValuePair<string, object?> _jobIdTag = new("job_id", jobId);
    private readonly KeyValuePair<string, object?> _jobNameTag = new("job_name", jobName);

    public void OnStep(StepMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);

        var tags = new TagList { _jobIdTag, _jobNameTag };
        instrumentation.Loss.Record(metrics.Loss, tags);
        instrumentation.LearningRate.Record(metrics.LearningRate, tags);
        instrumentation.Steps.Add(1, tags);
        instrumentation.GradientNorm.Record(metrics.GradientNorm, new TagList { _jobIdTag, _jobNameTag, { "layer", "all" } });

        foreach (var layer in metrics.LayerGradientNorms)
        {
            instrumentation.GradientNorm.Record(layer.Norm, new TagList { _jobIdTag, _jobNameTag, { "layer", layer.Layer } });
        }
    }

    public void OnEpoch(EpochMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);

        var tags = new TagList { _jobIdTag, _jobNameTag };
        instrumentation.ValidationLoss.Record(metrics.ValidationLoss, tags);
        instrumentation.ValidationAccuracy.Record(metrics.ValidationAccuracy, tags);
        instrumentation.Throughput.Record(metrics.SamplesPerSecond, tags);
        instrumentation.EpochDuration.Record(metrics.EpochSeconds, tags);
    }
}
