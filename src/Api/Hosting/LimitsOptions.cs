using System.ComponentModel.DataAnnotations;
using TrainingService.Core.Specs;

namespace TrainingService.Api.Hosting;

/// <summary>What SubmitJob accepts, from the "Limits" configuration section (Limits__MaxParameters and so on).</summary>
public sealed class LimitsOptions
{
    public const string SectionName = "Limits";

    [Range(1, long.MaxValue)]
    public long MaxParameters { get; set; } = JobLimits.Default.MaxParameters;

    /// <summary>The estimated bytes a run may hold in memory; see ResourceEstimate for what counts.</summary>
    [Range(1, long.MaxValue)]
    public long MaxEstimatedMemoryBytes { get; set; } = JobLimits.Default.MaxEstimatedMemoryBytes;

    [Range(1, 1024)]
    public int MaxLayers { get; set; } = JobLimits.Default.MaxLayers;

    /// <summary>Epochs times training examples: the examples one run may process.</summary>
    [Range(1, long.MaxValue)]
    public long MaxTrainingExamples { get; set; } = JobLimits.Default.MaxTrainingExamples;

    public JobLimits ToJobLimits() => new(MaxParameters, MaxEstimatedMemoryBytes, MaxLayers, MaxTrainingExamples);
}
