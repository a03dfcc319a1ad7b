using System.Text.Json;
using Training.V1;
using TrainingService.Core.Datasets;
using TrainingService.Core.Specs;
using TrainingService.Persistence;
using TrainingService.Persistence.Entities;

namespace TrainingService.Api.Grpc;

/// <summary>Reads stored models for DownloadModel and Predict, and checks and converts Predict's rows.</summary>
internal sealed class ModelRequests(JobStore store)
{
    public const int MaxPredictRows = 10_000;

    /// <summary>Returns the model of a succeeded job, or throws NotFound or FailedPrecondition as a client needs to know.</summary>
    public async Task<ModelRecord> FindSucceededModelAsync(Guid jobId, string shownId, Guid? owner, CancellationToken cancellationToken)
    {
        var job = await store.FindAsync(jobId, owner, cancellationToken) ?? throw RpcErrors.NotFound(shownId);

        if (job.State != JobState.Succeeded)
        {
            throw RpcErrors.FailedPrecondition(
                $"Job {jobId} is {job.State.ToString().ToUpperInvariant()}; only a succeeded job has a trained model.");
        }

        return await store.FindModelAsync(jobId, cancellationToken)
            ?? throw RpcErrors.FailedPrecondition($"Job {jobId} succeeded but its model is missing from the database.");
    }

    public static ModelDescription Describe(ModelRecord model) => new()
    {
        JobId = model.JobId.ToString(),
        Format = model.Format,
        SizeBytes = model.SizeBytes,
        Spec = JobMapper.FromJson<JobSpec>(model.SpecJson),
        PreprocessingJson = model.PreprocessingJson,
    };

    public static FeaturePreprocessing ReadPreprocessing(ModelRecord model) =>
        JsonSerializer.Deserialize<FeaturePreprocessing>(model.PreprocessingJson)
        ?? throw RpcErrors.FailedPrecondition($"Job {model.JobId}'s model has no preprocessing settings.");

    /// <summary>Checks the rows' count, widths and values, and flattens them row-major.</summary>
    public static float[] ReadRows(PredictRequest request, JobSpec spec)
    {
        var width = DatasetCatalog.Find(spec.Dataset.Name)!.FeatureCount;

        if (request.Rows.Count is < 1 or > MaxPredictRows)
        {
            throw RpcErrors.InvalidField("rows", $"has {request.Rows.Count} rows; send from 1 to {MaxPredictRows}");
        }

        var violations = new List<FieldViolation>();
        for (var i = 0; i < request.Rows.Count && violations.Count < 20; i++)
        {
            var row = request.Rows[i].Values;
            if (row.Count != width)
            {
                violations.Add(new($"rows[{i}].values", $"has {row.Count} values; dataset '{spec.Dataset.Name}' has {width} features"));
            }
            else if (FirstNonFinite(row) is var bad and >= 0)
            {
                violations.Add(new($"rows[{i}].values[{bad}]", $"is {row[bad]}; every value must be finite"));
            }
        }

        if (violations.Count > 0)
        {
            throw RpcErrors.InvalidArgument($"Predict rows are invalid: {violations[0].Field} {violations[0].Description}", violations);
        }

        return [.. request.Rows.SelectMany(row => row.Values)];
    }

    public static PredictResponse ToResponse(JobSpec spec, float[] outputs, int width)
    {
        var info = DatasetCatalog.Find(spec.Dataset.Name)!;
        var response = new PredictResponse { OutputWidth = width };

        for (var offset = 0; offset < outputs.Length; offset += width)
        {
            var prediction = new Prediction();
            prediction.Outputs.AddRange(outputs.AsSpan(offset, width).ToArray());

            if (info.IsClassification && width == 1)
            {
                // One output is binary cross-entropy's probability of class 1.
                prediction.PredictedClass = outputs[offset] >= 0.5f ? 1 : 0;
            }
            else if (info.IsClassification)
            {
                prediction.PredictedClass = ArgMax(outputs.AsSpan(offset, width));
            }

            response.Predictions.Add(prediction);
        }

        return response;
    }

    private static int FirstNonFinite(Google.Protobuf.Collections.RepeatedField<float> values)
    {
        for (var i = 0; i < values.Count; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                return i;
            }
        }

        return -1;
    }

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            best = values[i] > values[best] ? i : best;
        }

        return best;
    }
}
