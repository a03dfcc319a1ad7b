using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Training.V1;

namespace TrainingService.Core.Telemetry;

/// <summary>
/// The meter and activity source that training measurements and job traces go through. Hosts export them with
/// OpenTelemetry by subscribing to <see cref="MeterName"/> and <see cref="ActivitySourceName"/>. Core itself
/// references no exporter.
/// </summary>
/// <remarks>
/// Per-job series are observable instruments that read the latest measurements of each run in
/// <see cref="StartRun"/>'s registry when a reader collects. So training only stores a reference per step,
/// every exporter sees at most one point per series per collection, and a series stops being exported when
/// its run is disposed, which Prometheus sees as the series ending.
/// </remarks>
public sealed class TrainingInstrumentation : IDisposable
{
    public const string MeterName = "TrainingService.Training";
    public const string ActivitySourceName = "TrainingService.Training";

    /// <summary>Tag of the per-job series: the job's id as a UUID string.</summary>
    public const string JobIdTag = "job_id";

    /// <summary>Tag of the per-job series: the name the client gave the job.</summary>
    public const string JobNameTag = "job_name";

    /// <summary>Tag of <c>training.jobs.finished</c> and <c>training.job.duration</c>: succeeded, failed or cancelled.</summary>
    public const string OutcomeTag = "outcome";

    // Buckets in seconds from a tenth of a second to four hours, because queue waits and runs span that range
    // and the SDK's default buckets, made for milliseconds, would put every run of more than 17 minutes in one bucket.
    private static readonly double[] DurationBuckets = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400];

    private readonly ConcurrentDictionary<RunTelemetry, byte> _runs = new();
    private readonly JobCounts _counts = new();

    public TrainingInstrumentation(IMeterFactory? meterFactory = null)
    {
        Meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        ActivitySource = new ActivitySource(ActivitySourceName);

        foreach (var gauge in RunGauges.Step)
        {
            Meter.CreateObservableGauge(gauge.Name, () => ObserveSteps(gauge.Select), gauge.Unit, gauge.Description);
        }

        foreach (var gauge in RunGauges.Epoch)
        {
            Meter.CreateObservableGauge(gauge.Name, () => ObserveEpochs(gauge.Select), gauge.Unit, gauge.Description);
        }

        Meter.CreateObservableGauge("training.gradient.layer_norm", ObserveLayerNorms, "{norm}",
            "L2 norm of one parameterised layer's gradient in the latest step, after backward and before the optimizer step; tagged with the layer's name.");
        Meter.CreateObservableCounter("training.steps", ObserveStepCounts, "{step}", "Optimizer steps the run has taken so far.");

        Meter.CreateObservableCounter("training.jobs.submitted", () => _counts.Submitted, "{job}",
            "Jobs that SubmitJob stored and queued; counted by the API.");
        Meter.CreateObservableCounter("training.jobs.started", () => _counts.Started, "{job}",
            "Attempts that a worker started; a job that a worker resumes after another worker died counts again.");
        Meter.CreateObservableCounter("training.jobs.finished", _counts.ObserveFinished, "{job}",
            "Jobs that reached a final state, tagged with the outcome; the API counts jobs cancelled or failed before a worker took them, the workers count the rest.");

        QueueWait = Meter.CreateHistogram("training.job.queue_wait", "s",
            "Time from SubmitJob to the start of the job's first attempt.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        JobDuration = Meter.CreateHistogram("training.job.duration", "s",
            "Time from the start of an attempt to the job's final state, tagged with the outcome.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
    }

    public Meter Meter { get; }

    public ActivitySource ActivitySource { get; }

    /// <summary>The number of runs between <see cref="StartRun"/> and their disposal in this process.</summary>
    public int ActiveRunCount => _runs.Count;

    private Histogram<double> QueueWait { get; }

    private Histogram<double> JobDuration { get; }

    /// <summary>
    /// Registers a run's per-job series, tagged with the job's id and name, until the returned object is
    /// disposed. Epoch spans become children of <paramref name="runActivity"/> when it is given.
    /// </summary>
    public RunTelemetry StartRun(Guid jobId, string jobName, Activity? runActivity)
    {
        ArgumentNullException.ThrowIfNull(jobName);

        var run = new RunTelemetry(this, jobId.ToString(), jobName, runActivity);
        _runs.TryAdd(run, 0);
        return run;
    }

    public void RecordSubmitted() => _counts.AddSubmitted();

    /// <summary>Records an attempt's start; <paramref name="queueWait"/> is recorded for a job's first attempt only.</summary>
    public void RecordStarted(int attempt, TimeSpan queueWait)
    {
        _counts.AddStarted();

        if (attempt == 1)
        {
            QueueWait.Record(Math.Max(queueWait.TotalSeconds, 0));
        }
    }

    /// <summary>
    /// Records a final state: <see cref="JobState.Succeeded"/>, <see cref="JobState.Failed"/> or
    /// <see cref="JobState.Cancelled"/>. <paramref name="duration"/> is null for a job that ended before any attempt started.
    /// </summary>
    public void RecordFinished(JobState outcome, TimeSpan? duration)
    {
        var tag = JobCounts.OutcomeName(outcome);
        _counts.AddFinished(outcome);

        if (duration is { } elapsed)
        {
            JobDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>(OutcomeTag, tag));
        }
    }

    public void Dispose()
    {
        ActivitySource.Dispose();
        Meter.Dispose();
    }

    internal void Remove(RunTelemetry run) => _runs.TryRemove(run, out _);

    private IEnumerable<Measurement<double>> ObserveSteps(Func<StepMetrics, double?> select)
    {
        foreach (var run in _runs.Keys)
        {
            if (run.LatestStep is { } step && select(step) is { } value)
            {
                yield return new Measurement<double>(value, run.Tags);
            }
        }
    }

    private IEnumerable<Measurement<double>> ObserveEpochs(Func<EpochMetrics, double?> select)
    {
        foreach (var run in _runs.Keys)
        {
            if (run.LatestEpoch is { } epoch && select(epoch) is { } value)
            {
                yield return new Measurement<double>(value, run.Tags);
            }
        }
    }

    private IEnumerable<Measurement<double>> ObserveLayerNorms()
    {
        foreach (var run in _runs.Keys)
        {
            if (run.LatestStep is not { } step)
            {
                continue;
            }

            foreach (var layer in step.LayerGradientNorms)
            {
                yield return new Measurement<double>(layer.Norm, run.LayerTags(layer.Layer));
            }
        }
    }

    private IEnumerable<Measurement<long>> ObserveStepCounts()
    {
        foreach (var run in _runs.Keys)
        {
            if (run.LatestStep is { } step)
            {
                yield return new Measurement<long>(step.Step, run.Tags);
            }
        }
    }
}
