namespace TrainingService.Core.Specs;

/// <summary>
/// Resource limits a spec must stay within to be accepted. The API sets them from its configuration; the
/// worker checks specs with <see cref="None"/>, because a queued job was already checked at submit.
/// </summary>
/// <param name="MaxParameters">Trainable weights and biases over all layers.</param>
/// <param name="MaxEstimatedMemoryBytes">The estimate of <see cref="ResourceEstimate.MemoryBytes"/>.</param>
/// <param name="MaxLayers">Entries in network.layers.</param>
/// <param name="MaxTrainingExamples">Epochs times the training split's size: the examples a run processes.</param>
public sealed record JobLimits(long MaxParameters, long MaxEstimatedMemoryBytes, int MaxLayers, long MaxTrainingExamples)
{
    public static JobLimits Default { get; } = new(50_000_000, 4L << 30, 64, 50_000_000);

    public static JobLimits None { get; } = new(long.MaxValue, long.MaxValue, int.MaxValue, long.MaxValue);
}
