using System.Diagnostics;
using Training.V1;
using TrainingService.Core.Training;

namespace TrainingService.Core.Telemetry;

/// <summary>
/// One run's per-job series and epoch spans. As an observer it keeps a reference to the latest step and
/// epoch messages, which the instrumentation's gauges read when a reader collects. Disposing it ends the
/// run's series. Made by <see cref="TrainingInstrumentation.StartRun"/>.
/// </summary>
/// <remarks>
/// A step costs one reference write, whatever the number of layers and exporters, because
/// <see cref="ITrainingObserver"/> hands over messages that nobody changes afterwards.
/// </remarks>
public sealed class RunTelemetry : ITrainingObserver, IDisposable
{
    private readonly TrainingInstrumentation _instrumentation;
    private readonly ActivityContext _parent;
    private readonly Dictionary<string, KeyValuePair<string, object?>[]> _layerTags = [];
    private StepMetrics? _latestStep;
    private EpochMetrics? _latestEpoch;

    internal RunTelemetry(TrainingInstrumentation instrumentation, string jobId, string jobName, Activity? runActivity)
    {
        _instrumentation = instrumentation;
        _parent = runActivity?.Context ?? default;
        JobId = jobId;
        JobName = jobName;
        Tags = [new(TrainingInstrumentation.JobIdTag, jobId), new(TrainingInstrumentation.JobNameTag, jobName)];
    }

    public string JobId { get; }

    public string JobName { get; }

    internal KeyValuePair<string, object?>[] Tags { get; }

    internal StepMetrics? LatestStep => Volatile.Read(ref _latestStep);

    internal EpochMetrics? LatestEpoch => Volatile.Read(ref _latestEpoch);

    public void OnStep(StepMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        Volatile.Write(ref _latestStep, metrics);
    }

    public void OnEpoch(EpochMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        Volatile.Write(ref _latestEpoch, metrics);
        RecordEpochSpan(metrics);
    }

    public void Dispose() => _instrumentation.Remove(this);

    /// <summary>Returns the tags of one layer's series, made once per layer because collections run for as long as the run does.</summary>
    internal KeyValuePair<string, object?>[] LayerTags(string layer)
    {
        // Two readers, OTLP and Prometheus, may collect at once.
        lock (_layerTags)
        {
            if (!_layerTags.TryGetValue(layer, out var tags))
            {
                tags = [.. Tags, new("layer", layer)];
                _layerTags[layer] = tags;
            }

            return tags;
        }
    }

    /// <summary>Adds a finished span for the epoch, back-dated to its start, because the observer only hears of an epoch at its end.</summary>
    private void RecordEpochSpan(EpochMetrics metrics)
    {
        var end = DateTimeOffset.UtcNow;
        var start = end - TimeSpan.FromSeconds(metrics.EpochSeconds);
        using var activity = _instrumentation.ActivitySource.StartActivity("training epoch", ActivityKind.Internal, _parent, startTime: start);

        if (activity is null)
        {
            return;
        }

        activity.SetTag("job.id", JobId);
        activity.SetTag("training.epoch", metrics.Epoch);
        activity.SetTag("training.step", metrics.Step);
        activity.SetTag("training.epoch.loss", metrics.TrainLoss);
        activity.SetTag("training.validation.loss", metrics.HasValidationLoss ? metrics.ValidationLoss : null);
        activity.SetTag("training.validation.accuracy", RunGauges.ValidationAccuracy(metrics));
        activity.SetEndTime(end.UtcDateTime);
    }
}
