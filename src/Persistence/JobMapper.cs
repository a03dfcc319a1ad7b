using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Training.V1;
using TrainingService.Persistence.Entities;

namespace TrainingService.Persistence;

/// <summary>Converts between stored records and the contract's messages.</summary>
public static class JobMapper
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    public static string ToJson(IMessage message) => JsonFormatter.Default.Format(message);

    public static T FromJson<T>(string json)
        where T : IMessage<T>, new() => Parser.Parse<T>(json);

    public static Job ToJob(JobRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);

        var job = new Job
        {
            Id = record.Id.ToString(),
            Name = record.Name,
            Spec = FromJson<JobSpec>(record.SpecJson),
            State = record.State,
            CreatedAt = Timestamp.FromDateTime(record.CreatedAt),
            FailureReason = record.FailureReason ?? "",
            Attempt = record.Attempt,
        };

        if (record.StartedAt is { } started)
        {
            job.StartedAt = Timestamp.FromDateTime(started);
        }

        if (record.FinishedAt is { } finished)
        {
            job.FinishedAt = Timestamp.FromDateTime(finished);
        }

        if (record.LatestMetricsJson is { } metrics)
        {
            job.LatestMetrics = FromJson<EpochMetrics>(metrics);
        }

        if (record.ResultJson is { } result)
        {
            job.Result = FromJson<JobResult>(result);
        }

        return job;
    }

    public static JobEvent ToEvent(JobEventRecord record) => FromJson<JobEvent>(record.PayloadJson);

    public static StepMetrics ToStepMetrics(StepMetricRecord record, string[] layerNames)
    {
        ArgumentNullException.ThrowIfNull(record);

        var step = new StepMetrics
        {
            Step = record.Step,
            Epoch = record.Epoch,
            Loss = record.Loss,
            GradientNorm = record.GradientNorm,
            ClippedGradientNorm = record.ClippedGradientNorm,
            LearningRate = record.LearningRate,
        };
        step.LayerGradientNorms.AddRange(ToLayerNorms(record.LayerGradientNorms, layerNames));
        return step;
    }

    public static EpochMetrics ToEpochMetrics(EpochMetricRecord record, string[] layerNames)
    {
        ArgumentNullException.ThrowIfNull(record);

        var epoch = new EpochMetrics
        {
            Epoch = record.Epoch,
            Step = record.Step,
            TrainLoss = record.TrainLoss,
            GradientNorm = record.GradientNorm,
            SamplesPerSecond = record.SamplesPerSecond,
            EpochSeconds = record.EpochSeconds,
            LearningRate = record.LearningRate,
        };

        if (record.TrainAccuracy is { } trainAccuracy)
        {
            epoch.TrainAccuracy = trainAccuracy;
        }

        if (record.ValidationLoss is { } validationLoss)
        {
            epoch.ValidationLoss = validationLoss;
        }

        if (record.ValidationAccuracy is { } validationAccuracy)
        {
            epoch.ValidationAccuracy = validationAccuracy;
        }

        epoch.LayerGradientNorms.AddRange(ToLayerNorms(record.LayerGradientNorms, layerNames));
        return epoch;
    }

    private static IEnumerable<LayerGradientNorm> ToLayerNorms(double[] norms, string[] layerNames) =>
        norms.Select((norm, i) => new LayerGradientNorm { Layer = i < layerNames.Length ? layerNames[i] : $"layer{i}", Norm = norm });

    public static bool IsFinished(JobState state) =>
        state is JobState.Succeeded or JobState.Failed or JobState.Cancelled;
}
